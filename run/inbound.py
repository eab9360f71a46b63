"""The reply server: an SMTP endpoint for the per-step Reply-To addresses (``cpd inbound``).

Point the reply domain's MX here. Each reply is read by services/replies.py: recorded,
or answered with a short email asking which answer was meant. Only a reply to an
address that does not exist (or was revoked) is refused with an SMTP 5xx. Bounces and
auto-replies are accepted and never counted as answers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from typing import Any

from aiosmtpd.smtp import SMTP
from temporalio.client import Client

from activities.smtp import SmtpSender
from cpd import logs, metrics
from cpd.db import Sessionmaker, create_engine, create_sessionmaker
from cpd.schema import require_current
from cpd.security import LinkError, link_signer
from cpd.settings import Settings, get_settings
from cpd.temporal import connect
from emails.replies import header, is_automatic, parse_message, unreadable
from services.answers import AnswerNotConfirmed
from services.leader_checks import LeaderChecks, check_for_reply
from services.replies import Replies, ReplyRefused, send_for

log = logging.getLogger("cpd.inbound")

# RFC 3463 enhanced status codes for each kind of refusal.
ENHANCED = {"address": "5.1.1", "answer": "5.7.1"}


class ReplyHandler:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: Sessionmaker,
        replies: Replies,
        leader_checks: LeaderChecks,
    ) -> None:
        self._db = sessionmaker
        self._replies = replies
        self._leader_checks = leader_checks
        # reply+<code>: a teacher's step email; lead+<code>: a CPD lead's level 3 question.
        self._address = re.compile(
            rf"^(reply|lead)\+([a-z2-7]{{24}})@{re.escape(settings.mail_reply_domain)}$",
            re.IGNORECASE,
        )

    def _code(self, address: str) -> tuple[str, str] | None:
        found = self._address.match(address)
        return (found.group(1).lower(), found.group(2).lower()) if found else None

    async def _known(self, kind: str, code: str) -> bool:
        async with self._db() as db:
            if kind == "lead":
                return await check_for_reply(db, code) is not None
            return await send_for(db, code) is not None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        found = self._code(address)
        if found is None or not await self._known(*found):
            return "550 5.1.1 No such reply address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        message = parse_message(raw)
        if is_automatic(message, envelope.mail_from or ""):
            # Accepted so the sender stops retrying, and never counted as an answer.
            log.info("ignored an automatic message from %s", envelope.mail_from)
            return "250 OK: automatic message ignored"
        broken = unreadable(raw, message)
        if broken is not None:
            # RFC 3463 5.6.0: a media error. Permanent, so nothing is recorded or sent back.
            log.info("refused an unreadable message: %s", broken)
            return f"550 5.6.0 {broken}"
        sender = header(message, "From", envelope.mail_from or "")
        outcomes = [await self._take(rcpt, message, sender) for rcpt in envelope.rcpt_tos]
        return next((o for o in outcomes if not o.startswith("250")), outcomes[0])

    async def _take(self, rcpt: str, message: Any, sender: str) -> str:
        found = self._code(rcpt)
        if found is None:
            return "550 5.1.1 No such reply address"
        kind, code = found
        if kind == "lead":
            return await self._take_leader(code, message)
        async with self._db() as db:
            try:
                outcome = await self._replies.take(db, code, message, sender)
            except ReplyRefused as exc:
                return f"550 {ENHANCED[exc.about]} {exc.reason}"
            except AnswerNotConfirmed:
                # Not refused: the sending server keeps the reply and tries again later,
                # and an answer the workflow took meanwhile then counts once.
                return "451 4.3.0 Busy: please try again later"
        where = (outcome.participant_id, outcome.step_id)
        if not outcome.recorded:
            log.info("asked %s which answer they meant (step %s)", *where)
            return "250 Thank you: we have emailed you to check which answer you meant"
        log.info("recorded an emailed answer for %s step %s", *where)
        if outcome.before:
            return "250 Thank you: your answer is already recorded"
        return "250 Thank you: your answer is recorded"

    async def _take_leader(self, code: str, message: Any) -> str:
        async with self._db() as db:
            try:
                replied = await self._leader_checks.take_reply(db, code, message)
            except LinkError:
                return "550 5.1.1 No such reply address"
        if replied.before:
            return "250 Thank you: your answer is already recorded"
        if not replied.recorded:
            return "250 Thank you: we have emailed you to check which answer you meant"
        return "250 Thank you: your answer is recorded"


async def serve(
    settings: Settings, sessionmaker: Sessionmaker, client: Client, mailer: SmtpSender
) -> asyncio.Server:
    """Start the reply endpoint on this event loop (the Temporal client lives here too)."""
    # aiosmtpd logs each line of a message at DEBUG: a teacher's words must never reach a log.
    logging.getLogger("mail.log").setLevel(logging.INFO)
    signer = link_signer(settings)
    replies = Replies(client, settings, mailer, signer)
    checks = LeaderChecks(sessionmaker, mailer, settings, signer)
    handler = ReplyHandler(settings, sessionmaker, replies, checks)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname=settings.mail_reply_domain, data_size_limit=2 * 1024 * 1024),
        host=settings.inbound_smtp_host,
        port=settings.inbound_smtp_port,
    )


async def main() -> None:
    settings = get_settings()
    logs.setup("inbound", settings.json_logs)
    engine = create_engine(settings.resolved_database_url)
    await require_current(engine)  # `cpd migrate` upgrades it; nothing here does
    metrics.serve(settings.metrics_port)
    mailer = SmtpSender(settings)
    server = await serve(settings, create_sessionmaker(engine), await connect(settings), mailer)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    log.info("accepting replies on %s:%s", settings.inbound_smtp_host, settings.inbound_smtp_port)
    async with server:
        await stop.wait()
    await mailer.close()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
