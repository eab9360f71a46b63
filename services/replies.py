"""Where an emailed reply goes: which send it answers, what it means, and then either the
answer recorded or a short email back asking which answer was meant.

Each email's Reply-To is ``reply+<code>@<CPD_MAIL_REPLY_DOMAIN>``; the code names
one send (so one participant and one step) and cannot be guessed. Replies go through
the same Update and validation as the answer page (services/answers.py). A reply is
never bounced for being unclear: the teacher gets one-tap buttons instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Literal

from sqlmodel import col, func, select
from temporalio.client import Client

from activities.smtp import SmtpSender
from cpd import metrics, revocation
from cpd.branding import Branding
from cpd.db import Db
from cpd.i18n import language_of
from cpd.models import EmailSend, Event, Participant, School, UnclearReply
from cpd.plans import Step, choices_for
from cpd.security import LinkSigner, signed_links
from cpd.settings import Settings
from emails.content import step_email_context
from emails.reading import read_choice
from emails.replies import new_text
from services.answers import AnswerRefused, submit_answer
from services.mail import send_now
from workflows.types import AnswerIn

log = logging.getLogger("cpd.replies")

# Ask back at most this many times for one question: after that a reply is kept, unread.
MAX_ASKS = 3


class ReplyRefused(Exception):
    """Why a reply was not taken, for its sender; ``about`` what was wrong with it."""

    def __init__(self, reason: str, about: Literal["address", "answer"]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.about = about


@dataclass(frozen=True)
class Outcome:
    participant_id: str
    step_id: str
    recorded: bool  # False: not clear, and the teacher was asked which answer they meant
    before: bool = False  # the same answer had been recorded already


async def send_for(db: Db, code: str) -> EmailSend | None:
    """The send a reply code belongs to."""
    return (await db.exec(select(EmailSend).where(EmailSend.reply_code == code))).first()


class Replies:
    def __init__(
        self, client: Client, settings: Settings, mailer: SmtpSender, signer: LinkSigner
    ) -> None:
        self._client = client
        self._settings = settings
        self._mailer = mailer
        self._signer = signer

    async def take(self, db: Db, code: str, message: EmailMessage, sender: str) -> Outcome:
        """Record a teacher's reply as their answer, or ask them what they meant."""
        send = await send_for(db, code)
        if send is None:
            raise ReplyRefused("No such reply address", "address")
        person = await db.get(Participant, send.participant_id)
        event = await db.get(Event, person.event_id) if person else None
        step = event.plan.step(send.step_id) if event else None
        if person is None or event is None or step is None:
            raise ReplyRefused("This follow-through no longer exists", "address")
        if send.to_addr.lower() != person.email.lower():
            # Sent to an address the school has since corrected: its reply code is revoked.
            raise ReplyRefused("This email went to an address that has since changed", "address")
        if parseaddr(sender)[1].lower() != person.email.lower():
            # Forwarded, or sent from another account: the code is what counts.
            log.info("a reply for %s step %s came from another address", person.id, step.id)
        text = new_text(message)[:5000]
        choice = read_choice(text, step.kind) if choices_for(step.kind) else ""
        if not text or choice is None:
            await self._ask_back(db, person, event, step, text)
            return Outcome(person.id, step.id, recorded=False)
        answer = AnswerIn(step_id=step.id, choice=choice, text=text)
        try:
            receipt = await submit_answer(
                self._client, db, person, answer, self._settings.answer_wait
            )
        except AnswerRefused as exc:
            raise ReplyRefused(exc.reason, "answer") from exc
        if not receipt.duplicate:
            metrics.ANSWERS.labels(channel="reply").inc()
        return Outcome(person.id, step.id, recorded=True, before=receipt.duplicate)

    async def _ask_back(
        self, db: Db, person: Participant, event: Event, step: Step, text: str
    ) -> None:
        asked = await db.exec(
            select(func.count()).where(
                col(UnclearReply.participant_id) == person.id, UnclearReply.step_id == step.id
            )
        )
        if text:
            db.add(UnclearReply(participant_id=person.id, step_id=step.id, text=text))
        await db.commit()
        if asked.one() >= MAX_ASKS:
            return
        school = await db.get(School, person.school_id)
        branding = Branding.model_validate_json(school.branding_json if school else "{}")
        scope = await db.run(revocation.portfolio_scope, person)
        links = signed_links(
            self._signer, self._settings.public_base_url, person.id, step.id, scope
        )
        language = language_of(person.language, school.language if school else "")
        context = step_email_context(
            step,
            "clarify",
            links,
            "",
            branding,
            teacher_name=person.name,
            event_title=event.title,
            school_name=school.name if school else "",
            said=text[:300],
            language=language,
        )
        await send_now(
            self._mailer,
            self._settings,
            "step",
            context,
            to=person.email,
            to_name=person.name,
            sender_name=branding.sender_name,
            unsubscribe_url=links.pause,
            language=language,
        )
