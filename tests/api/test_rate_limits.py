"""Rate limits: sign-in emails per address and per client, link pages per client."""

from __future__ import annotations

import httpx

from services.ratelimit import RATES
from tests.support.stack import Stack, StackFactory


def other_client(s: Stack, ip: str) -> httpx.AsyncClient:
    """The same app, reached from another network."""
    transport = httpx.ASGITransport(app=s.app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_link_pages_are_limited_per_client(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        burst = RATES["link_client"].burst
        answered = 0
        while (refused := await s.api.get("/a/any-token")).status_code == 400:
            answered += 1  # a bad link, answered as one
            if answered > 2 * burst:
                break
        # The burst, and the few that refilled while it was spent.
        assert burst <= answered < 1.5 * burst
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert "Too many requests from your network" in refused.text
        # Another network is counted on its own.
        async with other_client(s, "192.0.2.7") as elsewhere:
            assert (await elsewhere.get("/p")).status_code == 200
