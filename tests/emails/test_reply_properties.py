"""The reply reader on generated replies (hypothesis): whatever a teacher, a mail client
or an attacker sends, reading it never raises, and the choice it reads is always one the
email offered (or None: not clear, so the teacher is asked back).

The chain is the reply server's: parse_message -> is_automatic -> new_text (the lines
the teacher wrote) -> read_choice (which offered answer they mean).
"""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpd.plans import StepKind, choices_for
from emails.reading import read_choice
from emails.replies import html_to_text, is_automatic, new_text, parse_message

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words the reader looks for, so generated replies reach its every branch.
WORDS = st.sampled_from(
    [
        "yes", "no", "not yet", "twice", "once", "three times", "2x", "need help",
        "help", "please", "could someone", "I'm stuck", "4/5", "3 out of 5", "a 4",
        "I'd say", "between 3 and 4", "option 2", "1", "5", "9", "10", "0",
        "Monday", "Tues", "and", "but", "?", ".", "!", "\n", "> quoted", "On Mon, 1 Jan 2026",
        "wrote:", "-- ", "Sent from my iPhone", "no problem", "not once", "haven't",
        "a lot", "a little", "some", "massively", "4️⃣", "✅", "👍", "٣", "²", "Year 7",
        "Hi Ada,", "Automatic reply", "going to", "didn't", "never tried",
    ]
)  # fmt: skip
REPLIES = st.one_of(
    st.text(max_size=800),
    st.lists(WORDS | st.text(max_size=6), max_size=40).map(" ".join),
    st.lists(WORDS, max_size=20).map("".join),
)


@BOUNDED
@given(REPLIES, st.sampled_from(list(StepKind)))
def test_read_choice_returns_only_an_offered_choice(text: str, kind: StepKind) -> None:
    choice = read_choice(text, kind)
    assert choice is None or choice in choices_for(kind)


@BOUNDED
@given(REPLIES | st.text(alphabet="<>/=\"'&;#abpdivscrtyle ", max_size=400))
def test_any_html_body_reads_as_text(html: str) -> None:
    assert isinstance(html_to_text(html), str)


HEADERS = st.sampled_from(
    [
        "From: Ada <ada@example.org>",
        'From: "',
        "From: <>",
        "From: =?utf-8?q?=E2=80?= <x@y>",
        "Subject: Re: Week 2",
        "Subject: =?unknown-8bit?b?////?=",
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/plain; charset=x-unknown",
        'Content-Type: text/html; charset="',
        "Content-Type: multipart/alternative; boundary=b",
        "Content-Type: multipart/mixed",
        "Content-Type: multipart/report; report-type=delivery-status",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Transfer-Encoding: x-bogus",
        "MIME-Version: 1.0",
        "--b",
        "--b--",
        "",
    ]
)


@st.composite
def raw_messages(draw: st.DrawFn) -> bytes:
    """Mail as it reaches the reply server: headers in any order, broken MIME, any body."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=2000))
    lines = draw(st.lists(HEADERS, max_size=8))
    body = draw(REPLIES | st.text(alphabet="<>/=\"'abp \n", max_size=200))
    if draw(st.booleans()):
        body = f"<p>{body}</p><blockquote>{draw(REPLIES)}</blockquote>"
    text = "\r\n".join([*lines, "", body, *draw(st.lists(HEADERS, max_size=4))])
    return text.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), errors="replace")


@st.composite
def mime_messages(draw: st.DrawFn) -> bytes:
    """Well-formed replies from a mail client (plain and HTML, any charset and transfer
    encoding), then perhaps cut short or with a run of bytes overwritten."""
    message = EmailMessage()
    message["From"] = "Ada <ada@example.org>"
    message["Subject"] = draw(st.sampled_from(["Re: Week 2 check-in", "Out of office", ""]))
    plain = draw(REPLIES)
    charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "utf-16"]))
    cte = draw(st.sampled_from(["base64", "quoted-printable", "8bit"]))
    try:
        message.set_content(plain, charset=charset, cte=cte)
    except (UnicodeEncodeError, ValueError):
        message.set_content(plain, charset="utf-8", cte="base64")
    if draw(st.booleans()):
        message.add_alternative(f"<div>{draw(REPLIES)}</div><blockquote>old</blockquote>", "html")
    raw = bytearray(message.as_bytes())
    cut = draw(st.integers(0, 10**6)) % (len(raw) + 1)
    if draw(st.booleans()):
        raw[cut : cut + 8] = draw(st.binary(min_size=1, max_size=8))
    return bytes(raw)


def test_a_two_megabyte_html_reply_is_read_within_its_bound() -> None:
    message = EmailMessage()
    message["From"] = "ada@example.org"
    message.set_content("<p>twice</p>" + "<div>" * 200_000, subtype="html")
    assert new_text(parse_message(message.as_bytes())) == "twice"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw_messages(), st.sampled_from(["", "<>", "ada@example.org"]), st.sampled_from(list(StepKind))
)
def test_any_message_is_read_without_raising(raw: bytes, mail_from: str, kind: StepKind) -> None:
    message = parse_message(raw)
    assert is_automatic(message, mail_from) in (True, False)
    text = new_text(message)
    assert isinstance(text, str)
    choice = read_choice(text, kind)
    assert choice is None or choice in choices_for(kind)


def test_a_from_header_the_standard_library_cannot_parse_is_read_as_it_came() -> None:
    # Found by the property above: ``From: "`` raised IndexError inside the email package,
    # so the reply server answered such a message with an error instead of reading it.
    message = parse_message(b'From: "\r\nSubject: Out of office\r\n\r\nback Monday')
    assert is_automatic(message, "ada@example.org")  # by its subject, as any auto-reply
    plain = parse_message(b'From: "\r\nSubject: Re: week 2\r\n\r\ntwice')
    assert not is_automatic(plain, "ada@example.org")
    assert read_choice(new_text(plain), StepKind.PRACTICE_CHECKIN) == "tried_twice"
