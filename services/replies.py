"""Where an emailed reply goes: which send it answers, what it says, and the answer recorded.

Each email's Reply-To is ``reply+<code>@<CPD_MAIL_REPLY_DOMAIN>``; the code names
one send (so one participant and one step) and cannot be guessed. Replies go through
the same Update and validation as the answer page (services/answers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from sqlmodel import select
from temporalio.client import Client

from cpd.db import Db
from cpd.models import EmailSend, Event, Participant
from cpd.plans import choices_for
from emails.content import choice_label
from emails.replies import choice_from, new_text
from services.answers import AnswerRefused, submit_answer
from workflows.types import AnswerIn


class ReplyRefused(Exception):
    """Why a reply was not recorded, for its sender; ``about`` what was wrong with it."""

    def __init__(self, reason: str, about: Literal["address", "content", "answer"]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.about = about


async def send_for(db: Db, code: str) -> EmailSend | None:
    """The send a reply code belongs to."""
    return (await db.exec(select(EmailSend).where(EmailSend.reply_code == code))).first()


@dataclass(frozen=True)
class Recorded:
    participant_id: str
    step_id: str
    before: bool  # the same answer had been recorded already


async def record_reply(client: Client, db: Db, code: str, message: EmailMessage) -> Recorded:
    """Record a teacher's reply as their answer."""
    send = await send_for(db, code)
    if send is None:
        raise ReplyRefused("No such reply address", "address")
    person = await db.get(Participant, send.participant_id)
    event = await db.get(Event, person.event_id) if person else None
    step = event.plan.step(send.step_id) if event else None
    if person is None or step is None:
        raise ReplyRefused("This follow-through no longer exists", "address")
    text = new_text(message)
    if not text:
        raise ReplyRefused(
            "Your reply was empty: write your answer above the quoted email", "content"
        )
    choice = ""
    allowed = choices_for(step.kind)
    if allowed:
        choice = choice_from(text, step.kind) or ""
        if not choice:
            options = "; ".join(choice_label(c) for c in allowed)
            raise ReplyRefused(f"Please start your reply with one of: {options}", "content")
    answer = AnswerIn(step_id=step.id, choice=choice, text=text[:5000])
    try:
        receipt = await submit_answer(client, db, person, answer)
    except AnswerRefused as exc:
        raise ReplyRefused(exc.reason, "answer") from exc
    return Recorded(person.id, step.id, receipt.duplicate)
