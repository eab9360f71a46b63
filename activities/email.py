"""Render and send one step's email, exactly once in effect per send key.

The send key's row moves sending → handed_over → sent | bounced:
- a retry that finds ``sending`` knows nothing reached the server: it sends;
- a retry that finds ``handed_over`` knows the server may have it (the
  worker died waiting for the reply, or before recording it): it does not
  send again, and records the email as sent;
- ``sent`` and ``bounced`` are final.
The hand-over is recorded as late as SMTP allows: after the server's 354 and
the message's lines, just before the "." that lets the server take it
(activities/smtp.py). A server that answers 4xx did not take the message, so
the row goes back to ``sending``. Only silence after the hand-over (a crash,
or the connection dropping before the server's reply) is ambiguous, and then
we never send twice: a worker that dies between recording the hand-over and
writing that last line loses that one message.
An attempt that is cancelled rather than killed (its activity timed out, or the
worker let its workflow task go) finishes the hand-over first (activities/smtp.py),
so only a dead worker can leave that gap.
An attempt that timed out is not always stopped: the worker that runs it may not
hear of the timeout, and then two attempts hold a ``sending`` row at once. So the
hand-over is a compare-and-set (sending → handed_over): one attempt wins it and
ends DATA; the other drops its connection before the "." and the next retry reads
the row.
A reminder of a step whose email the address refused for good (a 5xx) is recorded as
bounced and not tried: it would only be refused again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update
from temporalio import activity

from activities.contracts import SendResult, StepEmailIn
from activities.smtp import Outgoing, PermanentSmtpError, SmtpSender
from cpd import census, metrics, revocation
from cpd.branding import Branding
from cpd.counters import bump
from cpd.db import Transactions
from cpd.i18n import language_of
from cpd.models import (
    Answer,
    EmailSend,
    Event,
    HelpRequest,
    Leader,
    Participant,
    School,
    utcnow,
)
from cpd.plans import ACTION_PLAN_FIELDS, StepKind, action_plan_sentence
from cpd.security import Links, LinkSigner, signed_links
from cpd.settings import Settings
from emails.content import step_email_context
from emails.message import build_message
from emails.render import EmailRenderer, RenderedEmail

# A wait for a send slot this short happens inside the local activity that reserves it.
SHORT_WAIT_S = 1.0


def message_id_for(send_key: str, domain: str) -> str:
    # Stable across retries of the same send, so a resend can be recognised.
    digest = hashlib.sha256(send_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def reply_code_for(send_key: str, secret: str) -> str:
    # Unguessable and short: a mailbox local part must stay under 64 characters.
    mac = hmac.new(secret.encode(), send_key.encode(), hashlib.sha256).digest()[:15]
    return base64.b32encode(mac).decode().lower()


class EmailActivities:
    def __init__(
        self,
        settings: Settings,
        transactions: Transactions,
        sender: SmtpSender,
        renderer: EmailRenderer,
        signer: LinkSigner,
    ) -> None:
        self._s = settings
        self._tx = transactions
        self._sender = sender
        self._renderer = renderer
        self._signer = signer

    @activity.defn
    async def send_step_email(self, inp: StepEmailIn) -> SendResult:
        message_id = message_id_for(inp.send_key, self._s.mail_reply_domain)
        reply_code = reply_code_for(inp.send_key, self._s.secret)
        try:
            claim = await self._tx.write(_claim, inp, message_id, reply_code)
        except IntegrityError:
            # A concurrent attempt claimed it first; the retry decides from its row.
            raise RuntimeError(
                f"send key {inp.send_key} is being sent by another attempt"
            ) from None
        if claim.settled is not None:
            return claim.settled
        branding = Branding.model_validate_json(claim.branding_json)
        links = signed_links(
            self._signer,
            self._s.public_base_url,
            inp.participant_id,
            inp.step.id,
            claim.portfolio,
            claim.support_followup,
        )
        rendered = self._render(inp, claim, links, branding)
        message = Outgoing.of(self._build(inp, rendered, message_id, reply_code, links, branding))
        handed: list[bool] = []

        async def hand_over() -> None:
            await self._hand_over(inp, rendered.subject)
            handed.append(True)

        try:
            await self._sender.send(message, on_handover=hand_over, paced=inp.paced)
        except PermanentSmtpError as exc:
            if not await self._mark(inp, "bounced", str(exc), rendered.subject, _left_in(handed)):
                # Another attempt has it: the retry reads what became of it from the row.
                raise RuntimeError(f"send key {inp.send_key} was taken by another attempt") from exc
            metrics.email("bounced", f"smtp_{exc.code}")
            activity.logger.warning("permanent SMTP failure for %s: %s", inp.send_key, exc)
            return SendResult(message_id=message_id, status="bounced")
        except aiosmtplib.SMTPResponseException as exc:
            # The server answered "not now" (4xx): it did not take the message, so the
            # retry may send it again. Only silence after the hand-over is ambiguous.
            await self._mark(inp, "sending", str(exc), held=_left_in(handed))
            metrics.email("failed", f"smtp_{exc.code}")
            raise
        except Exception as exc:
            metrics.email("failed", type(exc).__name__)  # a timeout, a refused connection
            raise
        await self._mark(inp, "sent", subject=rendered.subject, held="handed_over")
        metrics.email("sent", inp.purpose)
        return SendResult(message_id=message_id, status="sent")

    @activity.defn
    async def reserve_send_slot(self) -> float:
        """This worker's next slot in the mail pace; seconds the workflow should wait for it.

        A short wait is waited here; a longer one is the workflow's, on a timer: a
        workflow task held open behind the pace holds up the worker and, past 10 s,
        times out and is done again.
        """
        wait = self._sender.reserve_slot()
        if wait <= SHORT_WAIT_S:
            await asyncio.sleep(wait)
            return 0.0
        return wait

    async def _mark(
        self,
        inp: StepEmailIn,
        status: str,
        error: str = "",
        subject: str = "",
        held: str | None = None,
    ) -> bool:
        return await self._tx.write(_mark, inp, status, error, subject, held)

    async def _hand_over(self, inp: StepEmailIn, subject: str) -> None:
        if not await self._tx.write(_take_handover, inp.send_key, subject):
            # Raised inside DATA, before its last line: the server discards this copy.
            raise RuntimeError(f"send key {inp.send_key} was handed over by another attempt")

    def _render(
        self, inp: StepEmailIn, claim: Claim, links: Links, branding: Branding
    ) -> RenderedEmail:
        context = step_email_context(
            inp.step,
            inp.purpose,
            links,
            claim.action_plan_text or inp.action_plan_text,
            branding,
            teacher_name=inp.teacher_name,
            event_title=inp.event_title,
            school_name=claim.school_name,
            lead_told=claim.lead_told,
            language=claim.language,
        )
        return self._renderer.render("step", context, claim.language)

    def _build(
        self,
        inp: StepEmailIn,
        rendered: RenderedEmail,
        message_id: str,
        reply_code: str,
        links: Links,
        branding: Branding,
    ) -> EmailMessage:
        return build_message(
            rendered,
            mail_from=self._s.mail_from,
            sender_name=branding.sender_name,
            to=inp.to,
            to_name=inp.teacher_name,
            reply_to=f"reply+{reply_code}@{self._s.mail_reply_domain}",
            message_id=message_id,
            # The workflow's time, or the time Temporal scheduled this attempt: the real
            # send time in production, and the skipped-to time under the test server, so
            # tests can check dates.
            sent_at=inp.sent_at or activity.info().current_attempt_scheduled_time,
            unsubscribe_url=links.pause,
        )


@dataclass(frozen=True)
class Claim:
    settled: SendResult | None  # set if nothing more must be sent
    school_name: str = ""
    branding_json: str = "{}"
    # What a portfolio link covers, this participant (at its link version) first.
    portfolio: tuple[tuple[str, int], ...] = ()
    # A supported request for help this email asks about ("did it help?").
    support_followup: int | None = None
    # A support email for a "need help" answer that the school's CPD lead is emailed about.
    lead_told: bool = False
    # What the teacher reads, read at send time: "en" or "cy" (cpd/i18n.py).
    language: str = "en"
    # The teacher's plan quoted in their language, when it is not English.
    action_plan_text: str = ""


def _claim(session: Session, inp: StepEmailIn, message_id: str, reply_code: str) -> Claim:
    """Claim the send key, and read what the message needs: one transaction."""
    row = session.get(EmailSend, inp.send_key)
    if row is not None:
        if row.status == "handed_over":
            # The server had it when the last attempt died: do not send twice.
            _mark(session, inp, "sent", "outcome not confirmed: worker stopped mid-send")
            return Claim(SendResult(message_id=row.message_id, status="already_sent"))
        if row.status == "sent":
            return Claim(SendResult(message_id=row.message_id, status="already_sent"))
        if row.status == "bounced":
            return Claim(SendResult(message_id=row.message_id, status="bounced"))
        # "sending": the last attempt stopped before the server saw it; send it now.
    person = session.get(Participant, inp.participant_id)
    refused = row is None and _step_refused(session, inp)
    if row is None:
        session.add(
            EmailSend(
                send_key=inp.send_key,
                participant_id=inp.participant_id,
                event_id=person.event_id if person else "",
                purpose=inp.purpose,
                step_id=inp.step.id,
                reply_code=reply_code,
                message_id=message_id,
                to_addr=inp.to,
                subject="",
                status="bounced" if refused else "sending",
                error=NOT_TRIED if refused else "",
            )
        )
    if refused:
        return Claim(SendResult(message_id=message_id, status="bounced"))
    school = session.get(School, inp.school_id)
    if school is None:
        return Claim(None)
    scope = tuple(revocation.portfolio_scope(session, person)) if person else ()
    language = language_of(person.language if person else "", school.language)
    return Claim(
        None,
        school.name,
        school.branding_json,
        scope,
        support_followup=_support_to_ask_about(session, inp),
        lead_told=inp.purpose == "support" and _lead_told(session, inp),
        language=language,
        action_plan_text=_plan_in(session, person, language) if inp.action_plan_text else "",
    )


NOT_TRIED = "not tried: the address refused this step's email"


def _step_refused(session: Session, inp: StepEmailIn) -> bool:
    """True for a reminder whose step's email this address refused for good (a 5xx):
    reminding it would only be refused again. The next step's email is tried afresh."""
    if inp.purpose != "reminder":
        return False
    bounced = session.exec(
        select(EmailSend.send_key).where(
            EmailSend.participant_id == inp.participant_id,
            EmailSend.step_id == inp.step.id,
            EmailSend.purpose == "initial",
            EmailSend.status == "bounced",
            EmailSend.to_addr == inp.to,
        )
    ).first()
    return bounced is not None


def _plan_in(session: Session, person: Participant | None, language: str) -> str:
    """The teacher's action plan as a sentence in their language, from the parts they
    typed; "" for English (the workflow's sentence) or when the parts are not at hand."""
    if language == "en" or person is None:
        return ""
    event = session.get(Event, person.event_id)
    plan_steps = [s.id for s in event.plan.steps if s.kind is StepKind.ACTION_PLAN] if event else []
    answer = session.exec(
        select(Answer).where(
            Answer.participant_id == person.id, col(Answer.step_id).in_(plan_steps)
        )
    ).first()
    fields = json.loads(answer.fields_json) if answer else {}
    if not all(str(fields.get(k, "")).strip() for k in ACTION_PLAN_FIELDS):
        return ""
    return action_plan_sentence(fields, language)


def _support_to_ask_about(session: Session, inp: StepEmailIn) -> int | None:
    """The first step email after a lead marked help given asks whether it helped: the
    request is tied to this send key, so a retry of this send asks again and no other does."""
    if inp.purpose != "initial":
        return None
    supported = session.exec(
        select(HelpRequest).where(
            HelpRequest.participant_id == inp.participant_id,
            HelpRequest.status == "supported",
            col(HelpRequest.helped).is_(None),
            col(HelpRequest.followup_send_key).in_(("", inp.send_key)),
        )
    ).first()
    if supported is None:
        return None
    supported.followup_send_key = inp.send_key
    return supported.id


def _lead_told(session: Session, inp: StepEmailIn) -> bool:
    """True if this support email answers a "need help" that a CPD lead will be emailed about."""
    asked = session.exec(
        select(HelpRequest.id).where(
            HelpRequest.participant_id == inp.participant_id, HelpRequest.step_id == inp.step.id
        )
    ).first()
    lead = session.exec(
        select(Leader.id).where(Leader.school_id == inp.school_id, Leader.role == "cpd_lead")
    ).first()
    return asked is not None and lead is not None


_HAND_OVER = (
    update(EmailSend)
    .where(col(EmailSend.send_key) == bindparam("key"), col(EmailSend.status) == "sending")
    .values(status="handed_over", subject=bindparam("subject"), error="")
    .execution_options(synchronize_session=False)
)


def _take_handover(session: Session, send_key: str, subject: str) -> bool:
    """sending → handed_over, or False if another attempt got there first."""
    found = session.exec(_HAND_OVER, params={"key": send_key, "subject": subject[:300]})
    return bool(found.rowcount)


def _left_in(handed: list[bool]) -> str:
    """The status this attempt left its row in: ``handed_over`` once its hand-over was
    recorded, ``sending`` before."""
    return "handed_over" if handed else "sending"


def _mark(
    session: Session,
    inp: StepEmailIn,
    status: str,
    error: str = "",
    subject: str = "",
    held: str | None = None,
) -> bool:
    """Record an attempt's outcome; False, changing nothing, if the row is no longer in
    the status ``held`` this attempt left it in. Two attempts can hold a send at once
    (see the module's docstring): one that lost the hand-over and then heard a 4xx or
    5xx must not turn the winner's ``sent`` back into ``sending``, which the next retry
    would send again, nor call a delivered address bounced."""
    row = session.get(EmailSend, inp.send_key)
    if row is not None and held is not None and row.status != held:
        return False
    if row is not None:
        # Kept once the message is rendered: the teacher's data export and timeline list it.
        row.subject = subject[:300] or row.subject
        if status == "sent" and row.status != "sent" and row.purpose == "initial":
            bump(session, row.event_id, row.step_id, sent=1)
        row.status = status
        row.error = error[:1000]
        row.sent_at = utcnow()
    if status == "bounced":
        with census.kept(session, inp.participant_id):
            person = session.get(Participant, inp.participant_id)
            if person is not None:
                person.email_bounced = True
    return True
