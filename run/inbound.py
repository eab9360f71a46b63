"""Where an emailed reply enters: an SMTP endpoint for the per-step Reply-To addresses.

Each email's Reply-To is ``reply+<code>@<CPD_MAIL_REPLY_DOMAIN>``; the code
names one send (so one participant and one step) and cannot be guessed.
Point the reply domain's MX at this server (``cpd inbound``). Replies go
through the same Update and validation as the answer page. Refusals are
SMTP 5xx replies, so the teacher's mail server tells them why.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from typing import Any

from aiosmtpd.smtp import SMTP
from sqlmodel import select
from temporalio.client import Client

from cpd.db import Sessionmaker, create_engine, create_sessionmaker, create_tables
from cpd.models import EmailSend, Event, Participant
from cpd.plans import Plan, choices_for
from cpd.settings import Settings, get_settings
from cpd.temporal import connect
from devtools.mailbox import parse
from emails.content import choice_label
from emails.replies import choice_from, is_automatic, new_text
from services.answers import AnswerRefused, submit_answer
from workflows.types import AnswerIn

log = logging.getLogger("cpd.inbound")


class ReplyHandler:
    def __init__(self, settings: Settings, sessionmaker: Sessionmaker, client: Client) -> None:
        self._db = sessionmaker
        self._client = client
        self._address = re.compile(
            rf"^reply\+([a-z2-7]{{24}})@{re.escape(settings.mail_reply_domain)}$", re.IGNORECASE
        )

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        found = self._address.match(address)
        if found is None or await self._send(found.group(1).lower()) is None:
            return "550 5.1.1 No such reply address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = parse(envelope.original_content or envelope.content)
        if is_automatic(message, envelope.mail_from or ""):
            # Accepted so the sender stops retrying, and never counted as an answer.
            log.info("ignored an automatic message from %s", envelope.mail_from)
            return "250 OK: automatic message ignored"
        outcomes = [await self._record(rcpt, message) for rcpt in envelope.rcpt_tos]
        return next((o for o in outcomes if not o.startswith("250")), outcomes[0])

    async def _send(self, code: str) -> EmailSend | None:
        async with self._db() as session:
            query = select(EmailSend).where(EmailSend.reply_code == code)
            return (await session.exec(query)).first()

    async def _record(self, rcpt: str, message: Any) -> str:
        found = self._address.match(rcpt)
        send = await self._send(found.group(1).lower()) if found else None
        if send is None:
            return "550 5.1.1 No such reply address"
        async with self._db() as session:
            person = await session.get(Participant, send.participant_id)
            event = await session.get(Event, person.event_id) if person else None
            step = Plan.model_validate_json(event.plan_json).step(send.step_id) if event else None
            if person is None or step is None:
                return "550 5.1.1 This follow-through no longer exists"
            text = new_text(message)
            if not text:
                return "550 5.6.0 Your reply was empty: write your answer above the quoted email"
            choice = ""
            allowed = choices_for(step.kind)
            if allowed:
                choice = choice_from(text, step.kind) or ""
                if not choice:
                    options = "; ".join(choice_label(c) for c in allowed)
                    return f"550 5.6.0 Please start your reply with one of: {options}"
            answer = AnswerIn(step_id=step.id, choice=choice, text=text[:5000])
            try:
                receipt = await submit_answer(self._client, session, person, answer)
            except AnswerRefused as exc:
                return f"550 5.7.1 {exc.reason}"
        log.info("recorded an emailed answer for %s step %s", person.id, step.id)
        return (
            "250 Thank you: your answer is already recorded"
            if receipt.duplicate
            else ("250 Thank you: your answer is recorded")
        )


async def serve(settings: Settings, sessionmaker: Sessionmaker, client: Client) -> asyncio.Server:
    """Start the reply endpoint on this event loop (the Temporal client lives here too)."""
    handler = ReplyHandler(settings, sessionmaker, client)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname=settings.mail_reply_domain, data_size_limit=2 * 1024 * 1024),
        host=settings.inbound_smtp_host,
        port=settings.inbound_smtp_port,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s inbound %(levelname)s %(message)s")
    settings = get_settings()
    engine = create_engine(settings.resolved_database_url)
    await create_tables(engine)
    server = await serve(settings, create_sessionmaker(engine), await connect(settings))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    log.info("accepting replies on %s:%s", settings.inbound_smtp_host, settings.inbound_smtp_port)
    async with server:
        await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
