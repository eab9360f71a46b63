"""The pooled sender: reuses connections, holds the rate, sorts 4xx from 5xx."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from activities.smtp import Outgoing, PermanentSmtpError, RateLimiter, SmtpSender
from tests.support.inbox import SmtpServer
from tests.support.stack import make_settings


def message(to: str, n: int) -> Outgoing:
    msg = EmailMessage()
    msg["From"] = "CPD <cpd@hillside.example>"
    msg["To"] = to
    msg["Subject"] = f"Message {n}"
    msg.set_content("Hello")
    return Outgoing.of(msg)


async def test_messages_share_connections(smtp: SmtpServer, tmp_path: Path) -> None:
    sender = SmtpSender(
        make_settings(tmp_path, smtp.port, smtp_pool_size=2, smtp_rate_per_second=0)
    )
    for n in range(6):
        await sender.send(message("ada@hillside.example", n))
    await sender.close()
    assert [str(m["Subject"]) for m in smtp.inbox.messages] == [f"Message {n}" for n in range(6)]
    assert smtp.inbox.sessions == 1


async def test_a_refused_recipient_is_permanent_and_the_connection_survives(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    sender = SmtpSender(make_settings(tmp_path, smtp.port, smtp_rate_per_second=0))
    smtp.inbox.refuse["gone@hillside.example"] = "550 5.1.1 No such user"
    with pytest.raises(PermanentSmtpError) as gone:
        await sender.send(message("gone@hillside.example", 1))
    assert gone.value.code == 550
    smtp.inbox.data_replies = ["451 4.3.0 Try again later"]
    with pytest.raises(aiosmtplib.SMTPResponseException) as busy:
        await sender.send(message("ada@hillside.example", 2))
    assert busy.value.code == 451
    await sender.send(message("ada@hillside.example", 3))
    await sender.close()
    assert [str(m["Subject"]) for m in smtp.inbox.messages] == ["Message 3"]


async def test_the_rate_limiter_spaces_sends_after_its_burst() -> None:
    limiter = RateLimiter(rate=100, burst=5)
    started = time.monotonic()
    for _ in range(25):
        await limiter.acquire()
    # 5 at once, then 20 more at 100 a second: at least 0.2 s. (Correctness, not speed.)
    assert time.monotonic() - started >= 0.19
