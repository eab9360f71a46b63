"""Another school's key, or another school's signed-in CPD lead, with this school's ids:
every route answers 404, and nothing of this school's changes.

The /v1 routes that take an event or participant id are walked by
tests/services/test_isolation.py; this adds the rest of the API (plans, erasure, references)
and every dashboard route.
"""

from __future__ import annotations

from typing import get_args, get_type_hints

import httpx
from fastapi.routing import APIRoute
from sqlmodel import select

from cpd.models import Leader
from services import admin
from tests.security.state import changed, snapshot, this_schools_things
from tests.support.events import days_ago, event
from tests.support.routes import every_route
from tests.support.signin import form_token, sign_in
from tests.support.stack import Stack, StackFactory

# Routes authorised by the signed token in their path, not by a session (test_tokens.py).
LINK_ROUTES = ("/dashboard/auth/", "/dashboard/digest/", "/dashboard/level3/")
# What a forger's form might carry: enough that only ownership can refuse it.
FORM = {
    "email": "ada@hillside.example",
    "status": "supported",
    "role": "leader",
    "confirm": "yes",
}


async def test_another_schools_key_cannot_use_this_schools_plans_people_or_references(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        mine = await this_schools_things(s)
        _, their_key = await s.new_school()
        theirs = s.auth(their_key)
        before = await snapshot(s)

        assert (await s.api.get(f"/v1/plans/{mine['plan_id']}", headers=theirs)).status_code == 404
        listed = (await s.api.get("/v1/plans", headers=theirs)).json()
        assert mine["plan_id"] not in str(listed)
        # Triggering an event with this school's plan: their plan id names nothing there.
        borrowed = await s.api.post(
            "/v1/events",
            json=event("borrowed", event_date=days_ago(1), plan_id=mine["plan_id"]),
            headers=theirs,
        )
        assert borrowed.status_code == 409, borrowed.text
        assert "no such plan" in borrowed.text
        # Erasing this school's teacher by address erases nobody here.
        erased = await s.api.post(
            "/v1/school/erasure", json={"email": "ada@hillside.example"}, headers=theirs
        )
        assert erased.status_code in (200, 404) and "ada@" not in erased.text
        if erased.status_code == 200:
            assert erased.json()["participants"] == 0
        assert changed(before, await snapshot(s)) == {}

        # The same reference is their own event, never a way into this school's.
        mallory = [{"name": "Mallory", "email": "mallory@elsewhere.example"}]
        same = await s.api.post(
            "/v1/events", json=event(event_date=days_ago(1), people=mallory), headers=theirs
        )
        assert same.status_code == 201, same.text
        assert same.json()["id"] != mine["event_id"]
        people = await s.api.get(f"/v1/events/{mine['event_id']}/participants", headers=s.auth())
        assert "mallory" not in people.text and "ada@hillside.example" in people.text


def dashboard_requests(s: Stack, ids: dict[str, str]) -> list[tuple[str, str]]:
    """Every dashboard route that names something of a school's, filled in with this
    school's ids (and each action of a route that takes one)."""
    found = []
    for route in every_route(s.app.routes):
        if not isinstance(route, APIRoute) or not route.path.startswith("/dashboard/"):
            continue
        if route.path.startswith(LINK_ROUTES) or not route.param_convertors:
            continue
        assert set(route.param_convertors) <= {*ids, "action"}, f"new id in {route.path}"
        # Every action such a route takes (its Literal), so each is tried.
        actions = (
            get_args(get_type_hints(route.endpoint)["action"])
            if "{action}" in route.path
            else ("",)
        )
        for method in sorted(route.methods or ()):
            for action in actions:
                found.append((method, route.path.format(action=action, **ids)))
    return found


async def test_every_dashboard_route_refuses_another_schools_cpd_lead(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        mine = await this_schools_things(s)
        their_school, _ = await s.new_school()
        await admin.add_leader(s.db, "lead@elsewhere.example", "cpd_lead", their_school)
        transport = httpx.ASGITransport(app=s.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as them:
            await sign_in(s, "lead@elsewhere.example", them)
            token = form_token((await them.get("/dashboard")).text)
            before = await snapshot(s)
            requests = dashboard_requests(s, mine)
            assert len(requests) > 20
            for method, path in requests:
                data = {**FORM, "csrf": token} if method == "POST" else None
                answer = await them.request(method, path, data=data)
                assert answer.status_code == 404, (method, path, answer.status_code)
                assert "Ada" not in answer.text and "Retrieval practice" not in answer.text

            # Pages that take an address instead of an id find nobody of this school's.
            for path in ("/dashboard/data/find", "/dashboard/data/export", "/dashboard/data/erase"):
                answer = await them.post(path, data={**FORM, "csrf": token})
                assert answer.status_code == 404, (path, answer.status_code)
                assert "Retrieval practice" not in answer.text
        assert changed(before, await snapshot(s)) == {}
        async with s.db() as db:
            leads = (await db.exec(select(Leader).where(Leader.school_id == s.school_id))).all()
        assert [lead.role for lead in leads] == ["cpd_lead"]
