"""Answering by replying to the email: real SMTP in, the same Update as the answer page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlmodel import select

from cpd.models import Participant
from cpd.plans import StepKind
from emails.reading import read_choice
from emails.replies import is_automatic, new_text
from tests.support.inbox import links_of, text_of
from tests.support.inbox import send_reply as send
from tests.support.replies import check_in_with_reply_server
from tests.support.stack import Stack, StackFactory


def reply(body: str, subject: str = "Re: How is it going?", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ada Lovelace <ada@hillside.example>"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


GMAIL = (
    "Tried it twice this week, it went well!\n\n"
    "On Mon, 7 Dec 2026 at 08:00, CPD <x@y> wrote:\n> Have you used it?\n> Tried it twice\n"
)
OUTLOOK = (
    "Not yet, sorry\n\nGet Outlook for iOS\n"
    "________________________________\nFrom: CPD <x@y>\nSent: Monday\n"
)
SIGNED = "Need some help with the starters please\n-- \nAda Lovelace\nHead of Maths\n"


@pytest.mark.parametrize(
    ("body", "text", "choice"),
    [
        (GMAIL, "Tried it twice this week, it went well!", "tried_twice"),
        (OUTLOOK, "Not yet, sorry", "not_yet"),
        (SIGNED, "Need some help with the starters please", "need_help"),
        ("> only quoted text\n", "", None),
    ],
)
def test_the_new_text_is_kept_and_quotes_and_signatures_dropped(
    body: str, text: str, choice: str | None
) -> None:
    found = new_text(reply(body))
    assert found == text
    assert read_choice(found, StepKind.PRACTICE_CHECKIN) == choice


def test_ratings_come_from_the_first_number() -> None:
    assert read_choice("4 - much more confident", StepKind.IMPACT_CHECK) == "4"
    assert read_choice("about a 7", StepKind.IMPACT_CHECK) is None


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("Booked in with Sam for Thursday", "planned"),
        ("planned for next week", "planned"),
        ("Yes, watched Priya's Year 8 lesson", "done"),
        ("Not yet", "not_yet"),
        ("haven't planned it", "not_yet"),
        ("2", "planned"),
        ("need help", None),
    ],
)
def test_a_reply_to_a_peer_observation_reads_planned_apart_from_not_yet(
    text: str, choice: str | None
) -> None:
    assert read_choice(text, StepKind.PEER_OBSERVATION) == choice


@pytest.mark.parametrize(
    ("headers", "subject", "mail_from"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Re: How is it going?", "ada@hillside.example"),
        ({}, "Out of Office: back on Monday", "ada@hillside.example"),
        ({}, "Automatic reply: How is it going?", "ada@hillside.example"),
        ({"X_Autoreply": "yes"}, "Re: How is it going?", "ada@hillside.example"),
        ({"Precedence": "auto_reply"}, "Re: How is it going?", "ada@hillside.example"),
        ({}, "Undeliverable: How is it going?", ""),
        ({}, "Re: How is it going?", "<>"),
    ],
)
def test_bounces_and_auto_replies_are_recognised(
    headers: dict[str, str], subject: str, mail_from: str
) -> None:
    assert is_automatic(reply("I am away", subject, **headers), mail_from)


def test_a_real_reply_is_not_automatic() -> None:
    assert not is_automatic(reply("Tried it twice"), "ada@hillside.example")


@pytest.fixture
async def replies(dev_stack: StackFactory) -> AsyncIterator[tuple[Stack, int, str]]:
    """A stack with a check-in sent to Ada, and the reply endpoint on a free port."""
    async with check_in_with_reply_server(dev_stack) as found:
        yield found


async def answers(s: Stack) -> list[tuple[str, str]]:
    async with s.db() as session:
        [person] = (await session.exec(select(Participant))).all()
    detail = await s.api.get(
        f"/v1/events/{person.event_id}/participants/{person.id}", headers=s.auth()
    )
    return [(a["choice"], a["text"]) for a in detail.json()["participant"]["answers"]]


async def test_a_reply_is_recorded_as_the_answer(replies: tuple[Stack, int, str]) -> None:
    s, port, reply_to = replies
    response = await send(port, reply_to, reply(GMAIL))
    assert response.code == 250 and "recorded" in response.message
    assert await answers(s) == [("tried_twice", "Tried it twice this week, it went well!")]
    again = await send(port, reply_to, reply("Tried once actually"))
    assert "already recorded" in again.message
    assert await answers(s) == [("tried_twice", "Tried it twice this week, it went well!")]


async def test_auto_replies_and_bounces_never_count(replies: tuple[Stack, int, str]) -> None:
    s, port, reply_to = replies
    away = reply("I am out until Monday.", "Automatic reply: How is it going?")
    assert (await send(port, reply_to, away)).code == 250
    bounce = reply("Delivery failed", "Undeliverable", Auto_Submitted="auto-replied")
    assert (await send(port, reply_to, bounce, sender="")).code == 250
    assert await answers(s) == []


async def test_an_unclear_reply_is_asked_back_not_bounced_and_its_words_are_kept(
    replies: tuple[Stack, int, str],
) -> None:
    s, port, reply_to = replies
    response = await send(port, reply_to, reply("Maybe, sort of, with 9X2?"))
    assert response.code == 250 and "emailed you to check" in response.message
    assert await answers(s) == []
    [_, asked] = await s.smtp.inbox.wait_for(2, "ada@")
    assert "Which did you mean?" in str(asked["Subject"])
    text = text_of(asked)
    assert "We weren't sure what you meant" in text and "Maybe, sort of, with 9X2?" in text
    tap = next(link for link in links_of(asked) if "choice=tried_once" in link)
    page = await s.api.get(tap)
    assert "Confirm: Tried it once" in page.text and "Maybe, sort of, with 9X2?" in page.text
    recorded = await s.api.post(
        tap.split("?")[0], data={"choice": "tried_once", "text": "Maybe, sort of, with 9X2?"}
    )
    assert "your answer is recorded" in recorded.text
    assert await answers(s) == [("tried_once", "Maybe, sort of, with 9X2?")]


async def test_misaddressed_replies_are_refused(replies: tuple[Stack, int, str]) -> None:
    s, port, _ = replies
    with pytest.raises(aiosmtplib.SMTPRecipientRefused) as unknown:
        await send(port, "reply+aaaaaaaaaaaaaaaaaaaaaaaa@cpd.test", reply("Tried it twice"))
    assert unknown.value.code == 550
    assert await answers(s) == []
