"""A school with something of everything, and all the app database holds read back as
plain rows: to show an attack changed nothing."""

from __future__ import annotations

from sqlmodel import SQLModel, select

from cpd.models import ApiKey, Participant
from services import admin
from tests.support.events import days_ago, event
from tests.support.stack import Stack

PLAN = {
    "name": "Our own plan",
    "steps": [
        {
            "id": "impact",
            "kind": "impact_check",
            "offset_days": 30,
            "guskey_level": 4,
        },
    ],
}

# Rows a request may write without changing anything a school holds: signing in.
SIGN_IN_TABLES = frozenset({"dashboardsession", "usedsigninlink"})


async def snapshot(s: Stack, ignore: frozenset[str] = SIGN_IN_TABLES) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    async with s.db() as db:
        for name, table in SQLModel.metadata.tables.items():
            if name in ignore:
                continue
            rows = (await db.exec(select(table))).all()  # type: ignore[call-overload]
            held[name] = sorted(repr(row) for row in rows)
    return held


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, list[str]]:
    """The tables whose rows differ, with the rows added or gone: empty when nothing did."""
    return {
        name: sorted(set(before[name]) ^ set(after.get(name, [])))
        for name in before
        if before[name] != after.get(name)
    }


async def this_schools_things(s: Stack) -> dict[str, str]:
    """An event with a teacher, a plan of the school's own, its key and its CPD lead."""
    created = await s.api.post("/v1/events", json=event(event_date=days_ago(1)), headers=s.auth())
    await s.smtp.inbox.wait_for(1, "ada@")
    plan = await s.api.post("/v1/plans", json=PLAN, headers=s.auth())
    assert plan.status_code in (200, 201), plan.text
    lead = await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", s.school_id)
    async with s.db() as db:
        [ada] = (await db.exec(select(Participant))).all()
        [key] = (await db.exec(select(ApiKey).where(ApiKey.school_id == s.school_id))).all()
    return {
        "event_id": created.json()["id"],
        "participant_id": ada.id,
        "plan_id": plan.json()["id"],
        "key_id": str(key.id),
        "leader_id": str(lead.id),
        "school_id": s.school_id,
    }
