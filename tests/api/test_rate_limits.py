"""Rate limits: sign-in emails per address and per client, link pages per client."""

from __future__ import annotations

import httpx

from services import admin
from services.ratelimit import RATES
from tests.support.signin import form_token
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


async def ask_for_a_link(api: httpx.AsyncClient, email: str) -> httpx.Response:
    login = await api.get("/dashboard/login")
    return await api.post("/dashboard/login", data={"email": email, "csrf": form_token(login.text)})


async def test_the_sixth_sign_in_request_for_one_address_waits(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
        for _ in range(5):
            assert (await ask_for_a_link(s.api, "head@hillside.example")).status_code == 200
        sixth = await ask_for_a_link(s.api, "Head@Hillside.example ")
        assert sixth.status_code == 429 and "Too many sign-in requests" in sixth.text
        assert 60 < int(sixth.headers["Retry-After"]) <= 120
        await s.smtp.inbox.wait_for(5, "head@")
        assert len(s.smtp.inbox.to("head@")) == 5
        # From another network too: the address is counted, wherever the requests come from.
        async with other_client(s, "192.0.2.8") as elsewhere:
            assert (await ask_for_a_link(elsewhere, "head@hillside.example")).status_code == 429
            # Another address is not held up.
            assert (await ask_for_a_link(elsewhere, "deputy@hillside.example")).status_code == 200


async def test_sign_in_requests_are_limited_per_client(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        burst = RATES["sign_in_client"].burst
        for n in range(burst):
            assert (await ask_for_a_link(s.api, f"guess{n}@hillside.example")).status_code == 200
        assert (await ask_for_a_link(s.api, "one.more@hillside.example")).status_code == 429
        login = await s.api.get("/dashboard/login")
        school = await s.api.post(
            "/dashboard/oidc/find",
            data={"email": "one.more@hillside.example", "csrf": form_token(login.text)},
        )
        assert school.status_code == 429 and "Retry-After" in school.headers
