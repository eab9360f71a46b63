"""A check-in emailed to Ada with the reply server listening, for tests of emailed answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from run.inbound import serve
from tests.support.events import days_ago, event
from tests.support.inbox import free_port
from tests.support.stack import Stack, StackFactory

CHECKIN_NOW = {
    "id": "checkin-now",
    "name": "A check-in",
    "steps": [
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"}
    ],
}


@asynccontextmanager
async def check_in_with_reply_server(
    dev_stack: StackFactory,
) -> AsyncIterator[tuple[Stack, int, str]]:
    """The stack, the reply server's loopback port, and the check-in's Reply-To address."""
    port = free_port()
    async with dev_stack(inbound_smtp_port=port) as s:
        server = await serve(s.settings, s.db, s.client, s.app.state.resources.mailer)
        created = await s.api.post(
            "/v1/events", json=event(plan=CHECKIN_NOW, event_date=days_ago(0)), headers=s.auth()
        )
        assert created.status_code == 201
        [mail] = await s.smtp.inbox.wait_for(1)
        try:
            yield s, port, str(mail["Reply-To"])
        finally:
            server.close()
