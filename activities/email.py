"""Render and send one step's email, exactly once per send key."""

from __future__ import annotations

import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from sqlalchemy.exc import IntegrityError
from temporalio import activity

from activities.contracts import SendResult, StepEmailIn
from activities.smtp import PermanentSmtpError, SmtpSender
from cpd.db import Sessionmaker, unit_of_work
from cpd.models import EmailSend, School, utcnow
from cpd.security import LinkSigner
from cpd.settings import Settings
from emails.content import step_email_context
from emails.render import EmailRenderer, RenderedEmail


def message_id_for(send_key: str, domain: str) -> str:
    # Stable across retries of the same send, so a resend can be recognised.
    digest = hashlib.sha256(send_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def one_line(value: str) -> str:
    # Names come from CSVs and forms: CR/LF must never reach a header.
    return " ".join(value.split())


class EmailActivities:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: Sessionmaker,
        sender: SmtpSender,
        renderer: EmailRenderer,
        signer: LinkSigner,
    ) -> None:
        self._s = settings
        self._db = sessionmaker
        self._sender = sender
        self._renderer = renderer
        self._signer = signer

    @activity.defn
    async def send_step_email(self, inp: StepEmailIn) -> SendResult:
        message_id = message_id_for(inp.send_key, self._s.mail_reply_domain)
        existing = await self._reserve(inp, message_id)
        if existing is not None:
            return existing
        rendered = await self._render(inp)
        message = self._build(inp, rendered, message_id)
        try:
            await self._sender.send(message)
        except PermanentSmtpError as exc:
            await self._finish(inp.send_key, "bounced", str(exc))
            activity.logger.warning("permanent SMTP failure for %s: %s", inp.send_key, exc)
            return SendResult(message_id=message_id, status="bounced")
        await self._finish(inp.send_key, "sent")
        return SendResult(message_id=message_id, status="sent")

    async def _reserve(self, inp: StepEmailIn, message_id: str) -> SendResult | None:
        """Claim the send key. Returns a result if this key was already settled."""
        async with self._db() as session:
            row = await session.get(EmailSend, inp.send_key)
            if row is not None and row.status in ("sent", "bounced"):
                status = "already_sent" if row.status == "sent" else "bounced"
                return SendResult(message_id=row.message_id, status=status)  # type: ignore[arg-type]
            if row is not None:
                return None  # claimed by an attempt that died before recording the outcome
        try:
            async with unit_of_work(self._db) as session:
                session.add(
                    EmailSend(
                        send_key=inp.send_key,
                        participant_id=inp.participant_id,
                        message_id=message_id,
                        to_addr=inp.to,
                        subject="",
                    )
                )
        except IntegrityError:
            # A concurrent attempt claimed it first; retry decides from its row.
            raise RuntimeError(
                f"send key {inp.send_key} is being sent by another attempt"
            ) from None
        return None

    async def _finish(self, send_key: str, status: str, error: str = "") -> None:
        async with unit_of_work(self._db) as session:
            row = await session.get(EmailSend, send_key)
            if row is not None:
                row.status = status
                row.error = error[:1000]
                row.sent_at = utcnow()

    async def _render(self, inp: StepEmailIn) -> RenderedEmail:
        async with self._db() as session:
            school = await session.get(School, inp.school_id)
        school_name = school.name if school else ""
        base = self._s.public_base_url.rstrip("/")
        answer_token = self._signer.sign(inp.participant_id, inp.step.id, "answer")
        pause_token = self._signer.sign(inp.participant_id, "*", "pause")
        context = step_email_context(
            inp.step, inp.purpose, f"{base}/a/{answer_token}", inp.action_plan_text
        )
        context.update(
            teacher_name=one_line(inp.teacher_name),
            event_title=inp.event_title,
            school_name=school_name,
            sign_off="With thanks,",
            pause_url=f"{base}/u/{pause_token}",
        )
        return self._renderer.render("step", context)

    def _build(self, inp: StepEmailIn, rendered: RenderedEmail, message_id: str) -> EmailMessage:
        msg = EmailMessage()
        from_name, from_addr = parseaddr(self._s.mail_from)
        msg["From"] = Address(display_name=one_line(from_name), addr_spec=from_addr)
        msg["To"] = Address(display_name=one_line(inp.teacher_name), addr_spec=inp.to)
        msg["Subject"] = one_line(rendered.subject)
        # The time Temporal scheduled this attempt: the real send time in production,
        # and the skipped-to time under the test server, so tests can check dates.
        msg["Date"] = formatdate(activity.info().current_attempt_scheduled_time.timestamp())
        msg["Message-ID"] = message_id
        base = self._s.public_base_url.rstrip("/")
        pause_token = self._signer.sign(inp.participant_id, "*", "pause")
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" here.
        msg["List-Unsubscribe"] = f"<{base}/u/{pause_token}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(rendered.text)
        msg.add_alternative(rendered.html, subtype="html")
        return msg
