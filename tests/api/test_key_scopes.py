"""API keys carry scopes: a key that may only read cannot trigger, and only a key made
for erasure can erase. A refusal is a 403 that says which scope is missing, and changes
nothing."""

from __future__ import annotations

from fastapi.routing import APIRoute
from sqlmodel import select

from api.deps import ERASING
from cpd.models import Participant
from services import admin
from tests.support.events import event
from tests.support.routes import every_route
from tests.support.stack import StackFactory


async def test_each_key_does_only_what_its_scopes_allow(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        reader = await admin.create_key(s.db, s.school_id, "governors' report", ["read"])
        integration = await admin.create_key(s.db, s.school_id, "MIS")  # trigger and read
        dpo = await admin.create_key(s.db, s.school_id, "data protection", ["erase"])

        refused = await s.api.post("/v1/events", json=event(), headers=s.auth(reader))
        assert refused.status_code == 403
        assert refused.json()["error"] == "insufficient_scope"
        assert "'trigger' scope" in refused.json()["detail"]
        listed = await s.api.get("/v1/events", headers=s.auth(reader))
        assert listed.status_code == 200 and listed.json()["items"] == []  # nothing started

        created = await s.api.post("/v1/events", json=event(), headers=s.auth(integration))
        assert created.status_code == 201
        event_id = created.json()["id"]
        calendar = await s.api.get("/v1/school/calendar", headers=s.auth(reader))
        put = await s.api.put("/v1/school/calendar", json=calendar.json(), headers=s.auth(reader))
        assert put.status_code == 403

        async with s.db() as session:
            [person] = (await session.exec(select(Participant))).all()
        erase_one = f"/v1/events/{event_id}/participants/{person.id}/data"
        for key in (reader, integration):
            assert (await s.api.delete(erase_one, headers=s.auth(key))).status_code == 403
            by_email = {"email": person.email}
            erasure = await s.api.post("/v1/school/erasure", json=by_email, headers=s.auth(key))
            assert erasure.status_code == 403
        async with s.db() as session:
            assert await session.get(Participant, person.id) is not None  # still there
        # The DPO's key erases, and may not read what is left.
        assert (await s.api.delete(erase_one, headers=s.auth(dpo))).status_code == 200
        assert (await s.api.get("/v1/events", headers=s.auth(dpo))).status_code == 403


async def test_every_erasure_route_needs_the_erase_scope(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        routes = {
            (method, r.path)
            for r in every_route(s.app.routes)
            if isinstance(r, APIRoute)
            for method in r.methods or ()
        }
        # A renamed erasure route would quietly need only "trigger": it must stay listed.
        assert routes >= ERASING
        # Keys reach /v1 only; the dashboard's data requests are the signed-in CPD lead's.
        erasing = {
            (m, p)
            for m, p in routes
            if p.startswith("/v1/") and ("erasure" in p or p.endswith("/data"))
        }
        assert erasing == set(ERASING)


async def test_an_unknown_scope_is_refused(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        try:
            await admin.create_key(s.db, s.school_id, "x", ["everything"])
        except ValueError as exc:
            assert "not everything" in str(exc)
        else:
            raise AssertionError("an unknown scope was accepted")
