"""Deliver built messages over SMTP with aiosmtplib: pooled, rate-limited, sorted failures.

- A few connections are kept open and reused, so a burst of first emails
  does not pay a TCP + EHLO (+ TLS + AUTH) handshake per message.
- A token bucket holds sends under ``CPD_SMTP_RATE_PER_SECOND`` per worker
  process (divide your relay's limit by the number of workers). A caller may
  reserve its slot first (``reserve_slot``) and send with ``paced=True`` then.
- A permanent 5xx means the address will never take it: raise
  ``PermanentSmtpError`` (recorded as bounced, not retried). A 4xx or a
  network error is transient: raise, and the activity retries with backoff.
- ``on_handover`` runs at the last moment before the server can take the
  message: after its 354 and the message's lines, just before the line that
  ends DATA. The caller records there that the outcome is out of its hands;
  from then on a cancelled send finishes handing the message over first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from cpd.settings import Settings


class PermanentSmtpError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


class RateLimiter:
    """A token bucket: at most ``rate`` sends a second, with a small burst.

    ``reserve`` hands out the next slot at once and says how far off it is (the bucket
    goes into debt), so the wait can happen somewhere else: a workflow sleeps on a
    timer until its slot instead of holding a workflow task open (activities/email.py's
    ``reserve_send_slot``). ``acquire`` reserves and waits here.
    """

    def __init__(self, rate: float, burst: int = 10) -> None:
        self._rate = rate
        self._burst = float(max(1, burst))
        self._tokens = self._burst
        self._stamp = time.monotonic()

    def reserve(self) -> float:
        """Take the next slot; seconds until it (0: now)."""
        if self._rate <= 0:
            return 0.0  # unlimited
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        self._tokens -= 1
        return max(0.0, -self._tokens / self._rate)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)


Handover = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: its envelope and its bytes, worked out once.

    Building and serialising an EmailMessage costs about a millisecond of CPU
    (header parsing and folding), more than sending it over a pooled connection,
    so it happens once, before a connection is taken, and never per attempt.
    """

    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @classmethod
    def of(cls, message: EmailMessage) -> Outgoing:
        sender = parseaddr(str(message["From"]))[1]
        recipients = tuple(addr for _, addr in getaddresses([str(message["To"])]))
        return cls(sender, recipients, message.as_bytes())


async def _nothing() -> None:
    return None


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._s = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(max(1, settings.smtp_pool_size))
        self._rate = RateLimiter(settings.smtp_rate_per_second)

    def reserve_slot(self) -> float:
        """Take this process's next send slot; seconds until it. Send then with ``paced``."""
        return self._rate.reserve()

    async def send(
        self, message: Outgoing, on_handover: Handover = _nothing, paced: bool = False
    ) -> None:
        if not paced:  # else its slot was reserved (reserve_slot) and waited for
            await self._rate.acquire()
        async with self._slots:
            conn = await self._checkout()
            try:
                await self._transact(conn, message, on_handover)
            except aiosmtplib.SMTPResponseException as exc:
                await self._reset_or_close(conn)
                if 500 <= exc.code < 600:
                    raise PermanentSmtpError(exc.code, exc.message) from exc
                raise
            except BaseException:
                # Network trouble or cancellation: this connection's state is unknown.
                conn.close()
                raise
            self._idle.append(conn)

    async def close(self) -> None:
        while self._idle:
            conn = self._idle.pop()
            try:
                await conn.quit()
            except (aiosmtplib.SMTPException, OSError):
                conn.close()

    async def _transact(
        self, conn: aiosmtplib.SMTP, message: Outgoing, on_handover: Handover
    ) -> None:
        await conn.mail(message.sender)
        for rcpt in message.recipients:
            await conn.rcpt(rcpt)

        # From the hand-over on, the server may have it and the next attempt will not
        # send it again (activities/email.py). So a cancellation that lands from here
        # (the activity timed out waiting its turn, or the worker let its workflow task
        # go) waits until the hand-over is recorded and the DATA command is finished:
        # stopping in between would lose the message. Only a second cancellation, or
        # the connection's own timeout, cuts it short.
        handing = asyncio.ensure_future(_data(conn, message.data, on_handover))
        try:
            await asyncio.shield(handing)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await handing
            raise

    async def _checkout(self) -> aiosmtplib.SMTP:
        while self._idle:
            conn = self._idle.pop()
            if conn.is_connected:
                return conn
        s = self._s
        conn = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=s.smtp_timeout_seconds,
        )
        await conn.connect()
        if s.smtp_username:
            await conn.login(s.smtp_username, s.smtp_password.get_secret_value())
        return conn

    async def _reset_or_close(self, conn: aiosmtplib.SMTP) -> None:
        # A refused recipient or message leaves the connection usable after RSET.
        try:
            await conn.rset()
            self._idle.append(conn)
        except (aiosmtplib.SMTPException, OSError):
            conn.close()


async def _data(conn: aiosmtplib.SMTP, data: bytes, on_handover: Handover) -> None:
    """DATA, as aiosmtplib's ``SMTP.data`` does it, with the hand-over recorded late.

    The server takes nothing until the line with a single "." that ends DATA, so
    everything before it is recorded as not sent (a retry sends again) and the
    hand-over is recorded just before it. A worker that dies between the two
    loses that one message, and that gap is one local write: it used to be the
    whole DATA exchange.
    """
    start = await conn.execute_command(b"DATA")
    if start.code != aiosmtplib.SMTPStatus.start_input:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    protocol = conn.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    protocol.write(PERIOD_REGEX.sub(b"..", normalize_message_line_endings(data)))
    await on_handover()
    protocol.write(b".\r\n")
    # No await between the write and this read, so the reply cannot arrive unclaimed.
    reply = await protocol.read_response(timeout=conn.timeout)
    if reply.code != aiosmtplib.SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)
