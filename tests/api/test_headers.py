"""Security headers: every page forbids script and framing, sends no Referer, is not cached."""

from __future__ import annotations

import httpx

from tests.support.signin import sign_in_as_lead
from tests.support.stack import StackFactory


def assert_private_page(response: httpx.Response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


async def test_every_page_carries_the_security_headers(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        login = await s.api.get("/dashboard/login")
        fresh = await s.api.get("/p")
        bad_link = await s.api.get("/a/not-a-token")
        too_big = await s.api.post("/p", data={"email": "x" * 300_000})
        await sign_in_as_lead(s)
        home = await s.api.get("/dashboard")
        for page in (login, fresh, bad_link, too_big, home):
            assert page.headers["content-type"].startswith("text/html")
            assert_private_page(page)
        assert (bad_link.status_code, too_big.status_code, home.status_code) == (400, 413, 200)

        # The API's answers hold names too: not cached, not sniffed; no page policy needed.
        events = await s.api.get("/v1/events", headers=s.auth())
        assert events.headers["Cache-Control"] == "no-store"
        assert events.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in events.headers
        # The API docs load their script from a CDN: they keep their own way.
        docs = await s.api.get("/docs")
        assert docs.status_code == 200 and "Content-Security-Policy" not in docs.headers
