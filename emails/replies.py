"""Read a teacher's emailed reply: is it a real answer, and what did they say?

Pure functions over a parsed message. Bounces and auto-replies (out of
office, vacation, delivery reports) are recognised and never count as
answers. From a real reply we keep only the new text: quoted history,
signatures and "Sent from my phone" lines are dropped.
"""

from __future__ import annotations

import re
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

_AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|"
    r"away from (the )?office|on leave|vacation|undeliver(able|ed)|delivery status notification|"
    r"mail delivery (failed|failure)|returned mail|failure notice)",
    re.IGNORECASE,
)
_QUOTE_HEADERS = [
    re.compile(r"^On .+ wrote:\s*$"),  # Gmail, Apple Mail
    re.compile(r"^On .+\d{4}.+<\s*$"),  # Gmail's header wrapped before the address
    re.compile(r"^On .+,$"),  # the first half of a wrapped "On ... wrote:"
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),  # Outlook
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule before the quoted headers
    re.compile(r"^From: .+", re.IGNORECASE),  # Outlook's quoted header block
]
_SIGN_OFFS = [
    re.compile(r"^-- ?$"),  # the standard signature separator
    re.compile(r"^Sent from my \w+", re.IGNORECASE),
    re.compile(r"^Get Outlook for \w+", re.IGNORECASE),
]


def parse_message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def header(message: EmailMessage, name: str, default: str = "") -> str:
    """A header as text. The standard library's header parser raises on some malformed
    values (``From: "`` gives an IndexError); those are read as they came."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - any parser fault: fall back to the raw value
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    return default if value is None else str(value)


# Defects that mean the text we would read is not what the sender wrote.
_BROKEN = (
    errors.StartBoundaryNotFoundDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.MultipartInvariantViolationDefect,
    errors.MissingHeaderBodySeparatorDefect,
    errors.InvalidBase64CharactersDefect,
    errors.InvalidBase64LengthDefect,
)


def unreadable(raw: bytes, message: EmailMessage) -> str | None:
    """Why a message cannot be read as anyone's reply, or None when it can.

    Garbage (binary data, broken MIME, an encoding or character set we cannot decode)
    is refused rather than asked back: a broken client would otherwise get our "which
    did you mean?" email for every message it mangles, and its words were never read.
    """
    if b"\x00" in raw:
        return "The message contains a NUL byte"
    if not header(message, "From"):
        return "The message has no From header"
    if any(isinstance(d, _BROKEN) for part in message.walk() for d in part.defects):
        return "The message's MIME structure is broken"
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None  # no text at all (say, only a photo): asked back as before
    try:
        part.get_content()
    except (LookupError, ValueError):
        return "The message's text is in an encoding or character set we cannot read"
    if any(isinstance(d, _BROKEN) for d in part.defects):  # found while decoding
        return "The message's text is in an encoding we cannot read"
    return None


def is_automatic(message: EmailMessage, mail_from: str) -> bool:
    """A bounce, a delivery report or an auto-reply: never a teacher's answer."""
    if mail_from in ("", "<>"):
        return True  # RFC 5321: bounces have an empty reverse path
    if message.get_content_type() == "multipart/report":
        return True
    auto = header(message, "Auto-Submitted", "no").strip().lower()
    if auto and auto != "no":
        return True
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return True
    if header(message, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    sender = header(message, "From").lower()
    if "mailer-daemon@" in sender or "postmaster@" in sender:
        return True
    subject = header(message, "Subject").strip()
    return bool(_AUTO_SUBJECT.match(subject))


# Enough for any real answer; a larger body is cut before it is read, so a huge or
# hostile message costs no more than this.
MAX_BODY_CHARS = 100_000
_READER = EmailReplyParser(languages=["en"])
_BLANK_RUNS = re.compile(r"\n(?:[^\S\n]*\n){2,}")


def new_text(message: EmailMessage) -> str:
    """The lines the teacher wrote in this reply, without quotes, signature or disclaimer."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        body = str(part.get_content())
    except (LookupError, ValueError):
        return ""  # an unknown charset or broken encoding: nothing we can read
    if part.get_content_type() == "text/html":
        body = html_to_text(body)
    body = body[:MAX_BODY_CHARS]
    body = body.replace("\r\n", "\n")
    # Runs of blank lines become one: the reply parser's time grows with the square of
    # them (20,000 blank lines, from a body of empty <div>s, took 30 seconds).
    body = _BLANK_RUNS.sub("\n\n", body)
    # The maintained parser finds the quoted history, signatures and disclaimers; the
    # patterns below catch what it leaves (a phone's sign-off, a stray quoted line).
    text = _unquoted(_first_reply(body))
    if not text:
        # Written below the quote: what is left once the quoted lines are gone.
        lines = body.split("\n")
        rest = [ln for ln in lines if not any(p.match(ln.strip()) for p in _QUOTE_HEADERS)]
        text = _unquoted(_first_reply("\n".join(ln for ln in rest if not _quoted(ln))))
    return text


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _unquoted(text: str) -> str:
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if any(p.match(stripped) for p in _QUOTE_HEADERS + _SIGN_OFFS):
            break
        if not _quoted(line):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _first_reply(body: str) -> str:
    replies = _READER.read(body).replies
    return replies[0].body if replies else body


class _Text(HTMLParser):
    """Text of an HTML body in one linear pass; quoted and hidden parts left out."""

    SKIP = frozenset({"script", "style", "blockquote", "head", "title"})
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(body: str) -> str:
    parser = _Text()
    cut = body[:MAX_BODY_CHARS]
    if len(body) > MAX_BODY_CHARS and cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]  # a tag cut in half would read as text
    parser.feed(cut)
    parser.close()
    return "".join(parser.parts)
