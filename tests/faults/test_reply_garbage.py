"""The reply server fed garbage: it refuses each message with a clear SMTP code, records
nothing, sends nothing, and stays up for the good reply that comes next."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiosmtplib
import pytest
from sqlmodel import func, select

from cpd.models import Answer, UnclearReply
from tests.faults.tally import TALLY
from tests.support.replies import check_in_with_reply_server
from tests.support.stack import Stack, StackFactory

HEAD = (
    "From: Ada Lovelace <ada@hillside.example>\r\nTo: {to}\r\n"
    "Subject: Re: How is it going?\r\nMessage-ID: <garbage-{n}@hillside.example>\r\n"
)


def garbage(to: str) -> dict[str, bytes]:
    """Each message a broken or hostile client might send, by what is wrong with it."""
    head = HEAD.format(to=to, n="{n}")
    cases = {
        "binary bytes": bytes(range(1, 256)) * 40,
        "a 2 MB HTML body": (
            head + "Content-Type: text/html\r\n\r\n" + "<p>Tried it twice.</p>\r\n" * 100_000
        ).encode(),
        "a broken MIME boundary": (
            head + 'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n'
            "\r\n--b2\r\nContent-Type: text/plain\r\n\r\nTried it twice\r\n--b2--\r\n"
        ).encode(),
        "bad base64": (
            head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%%%% not base64 at all !!!!\r\n"
        ).encode(),
        "an unknown charset": (
            head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(b"Tried it twice").decode()
            + "\r\n"
        ).encode(),
        "no From, To, Subject or Message-ID": b"\r\nTried it twice\r\n",
        "a NUL byte": (head + "\r\nTried it\x00 twice\r\n").encode(),
        "an over-long line": (head + "\r\nTried it twice " + "x" * 5000 + "\r\n").encode(),
    }
    return {
        name: raw.replace(b"{n}", str(i).encode()) for i, (name, raw) in enumerate(cases.items())
    }


async def deliver(port: int, to: str, raw: bytes) -> tuple[int, str]:
    """One SMTP session: the code and text the server answered the message with."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
    try:
        async with smtp:
            await smtp.mail("ada@hillside.example")
            await smtp.rcpt(to)
            response = await smtp.data(raw)
            return response.code, response.message
    except aiosmtplib.SMTPResponseException as exc:
        return exc.code, exc.message


@pytest.fixture
async def replies(dev_stack: StackFactory) -> AsyncIterator[tuple[Stack, int, str]]:
    """A check-in sent to Ada, and the reply server on a free loopback port."""
    async with check_in_with_reply_server(dev_stack) as found:
        yield found


async def counts(s: Stack) -> tuple[int, int, int]:
    async with s.db() as db:
        answers = (await db.exec(select(func.count()).select_from(Answer))).one()
        unclear = (await db.exec(select(func.count()).select_from(UnclearReply))).one()
    return answers, unclear, len(s.smtp.inbox.messages)


async def test_garbage_is_refused_with_a_clear_code_and_nothing_is_recorded(
    replies: tuple[Stack, int, str],
) -> None:
    s, port, reply_to = replies
    answered: dict[str, tuple[int, str]] = {}
    for name, raw in garbage(reply_to).items():
        answered[name] = await deliver(port, reply_to, raw)
        TALLY.fault("reply garbage")
    codes = {name: code for name, (code, _) in answered.items()}
    assert codes == {
        name: {"a 2 MB HTML body": 552, "an over-long line": 500}.get(name, 550) for name in codes
    }, answered
    assert all(message.strip() for _, message in answered.values()), answered
    assert answered["a NUL byte"][1].startswith("5.6.0"), answered
    assert await counts(s) == (0, 0, 1), "garbage was recorded, or answered by email"

    good = (
        HEAD.format(to=reply_to, n="good") + "\r\nTried it twice this week, it went well!\r\n"
    ).encode()
    code, message = await deliver(port, reply_to, good)
    assert code == 250 and "recorded" in message
    assert await counts(s) == (1, 0, 1)
    TALLY.emails(["ada|step"], ["ada|step"])  # the one check-in, and nothing else
