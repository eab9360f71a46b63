"""The pooled sender: reuses connections, holds the rate, sorts 4xx from 5xx."""

from __future__ import annotations

import asyncio
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


async def test_nothing_is_delivered_before_the_hand_over_and_dot_lines_survive(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    """The hand-over is recorded at the last moment before the server can take the
    message. A sender stopped there (its record failed) has delivered nothing, so a
    retry may send it; the message's own lines, dots and all, arrive as written."""
    sender = SmtpSender(make_settings(tmp_path, smtp.port, smtp_rate_per_second=0))

    class RecordFailed(Exception):
        pass

    async def record_fails() -> None:
        raise RecordFailed

    with pytest.raises(RecordFailed):
        await sender.send(message("ada@hillside.example", 1), on_handover=record_fails)
    dotted = EmailMessage()
    dotted["From"] = "CPD <cpd@hillside.example>"
    dotted["To"] = "ada@hillside.example"
    dotted["Subject"] = "Message 2"
    dotted.set_content("One\n.Two starts with a dot\n.\nThree")
    await sender.send(Outgoing.of(dotted))
    await sender.close()
    assert [str(m["Subject"]) for m in smtp.inbox.messages] == ["Message 2"]
    body = str(smtp.inbox.messages[0].get_payload())
    assert body.splitlines() == ["One", ".Two starts with a dot", ".", "Three"]


async def test_the_rate_limiter_spaces_sends_after_its_burst() -> None:
    limiter = RateLimiter(rate=100, burst=5)
    started = time.monotonic()
    for _ in range(25):
        await limiter.acquire()
    # 5 at once, then 20 more at 100 a second: at least 0.2 s. (Correctness, not speed.)
    assert time.monotonic() - started >= 0.19


def test_reserved_slots_follow_one_another_at_the_rate() -> None:
    """A reservation takes its slot at once and says how far off it is, so the wait can
    happen elsewhere (a workflow's timer); the slots stay in order at the rate."""
    limiter = RateLimiter(rate=10, burst=2)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.1, 0.2, 0.3], abs=0.01)


async def test_a_send_cancelled_after_the_hand_over_still_delivers(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    """Once handed over, a cancelled attempt (its activity timed out, or the worker let
    its workflow task go) finishes giving the server the message before it stops: the
    next attempt finds the row handed over and records it as sent without sending."""
    sender = SmtpSender(make_settings(tmp_path, smtp.port, smtp_rate_per_second=0))

    async def cancelled_at_hand_over() -> None:
        attempt.cancel()  # lands on the next await: the hand-over's own write, committed
        await asyncio.sleep(0)

    attempt = asyncio.create_task(
        sender.send(message("ada@hillside.example", 1), on_handover=cancelled_at_hand_over)
    )
    with pytest.raises(asyncio.CancelledError):
        await attempt
    await smtp.inbox.wait_for(1, timeout=5)
    await sender.send(message("ada@hillside.example", 2))  # the sender still works
    await sender.close()
    assert [str(m["Subject"]) for m in smtp.inbox.messages] == ["Message 1", "Message 2"]
