"""A real SMTP server on loopback that keeps what it receives, for tests.

aiosmtpd runs on its own thread; tests read the parsed messages (standard
library parser) and wait for them with ``await inbox.wait_for(n)``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from devtools.mailbox import body_of, links_in, parse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that parses and keeps every message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        # Set by a test to refuse recipients, e.g. {"gone@x": "550 5.1.1 no such user"}.
        self.refuse: dict[str, str] = {}
        # Replies to the next DATA commands (e.g. "451 4.3.0 try later"), used up in order.
        self.data_replies: list[str] = []
        # Message-IDs of messages refused by ``data_replies``: what a retry must repeat.
        self.refused_ids: list[str] = []
        # Called with each accepted message and the sender's (host, port) before "250"
        # goes back: a test may kill the sending worker here, so it dies with the
        # message delivered but unrecorded.
        self.on_accept: Callable[[EmailMessage, tuple[str, int]], None] | None = None
        # Seconds to wait before answering the next DATA commands with "354", used up in
        # order: a slow server, so that a send attempt outlives its activity's timeout.
        self.data_delays: list[float] = []
        # Replies to the next DATA commands themselves instead of "354" (e.g. "451 4.3.0
        # try later"), taken in order as each command arrives, with its delay.
        self.data_command_replies: list[str] = []
        self.rcpt_calls: list[str] = []
        self.sessions = 0  # EHLOs seen: one per SMTP connection
        self.envelopes: list[list[str]] = []

    async def handle_EHLO(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_calls.append(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = parse(envelope.original_content or envelope.content)
        with self._lock:
            if self.data_replies:
                self.refused_ids.append(str(message["Message-ID"]))
                return self.data_replies.pop(0)
            self._messages.append(message)
            self.envelopes.append(list(envelope.rcpt_tos))
        if self.on_accept is not None:
            self.on_accept(message, session.peer)
        return "250 Message accepted for delivery"

    def next_data_command(self) -> tuple[float, str]:
        """Seconds to wait before answering this DATA command, and a reply to give
        instead of "354" ("" for none)."""
        with self._lock:
            delay = self.data_delays.pop(0) if self.data_delays else 0.0
            reply = self.data_command_replies.pop(0) if self.data_command_replies else ""
            return delay, reply

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    async def wait_for(
        self, count: int, address: str = "", timeout: float = 30
    ) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(address) if address else self.messages
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages for {address!r}, got {len(found)}")
            await asyncio.sleep(0.05)


class _Smtp(SMTP):
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command hook
        delay, reply = self.event_handler.next_data_command()
        await asyncio.sleep(delay)
        if reply:
            await self.push(reply)
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Smtp(self.handler, **self.SMTP_kwargs)


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller = _Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def start_again(self) -> None:
        """After ``stop()``: listen on the same port again, keeping what arrived (a
        stopped controller cannot be restarted: its event loop is closed)."""
        self._controller = _Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()


def text_of(msg: EmailMessage) -> str:
    return body_of(msg, "plain").replace("\r\n", "\n")


def html_of(msg: EmailMessage) -> str:
    return body_of(msg, "html").replace("\r\n", "\n")


def links_of(msg: EmailMessage) -> list[str]:
    return links_in(text_of(msg))


def sent_at(msg: EmailMessage) -> Any:
    return parsedate_to_datetime(str(msg["Date"]))


async def send_reply(
    port: int, to: str, message: EmailMessage, sender: str = "ada@hillside.example"
) -> Any:
    """Send ``message`` to the reply server on ``port``, as a mail client would."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    async with smtp:
        await smtp.mail(sender)
        await smtp.rcpt(to)
        return await smtp.data(message.as_bytes())
