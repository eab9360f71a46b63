"""A term of check-ins and impact checks for three teachers, for what leaders read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.support.stack import Stack
from tests.support.walk import Received, Walker
from tests.support.year import school_year_now

PLAN = {
    "id": "impact-term",
    "name": "A term with impact checks",
    "steps": [
        {"id": "impact-start", "kind": "impact_check", "offset_days": 0, "guskey_level": 4},
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 14},
        {"id": "impact-1-month", "kind": "impact_check", "offset_days": 30, "guskey_level": 4},
        {"id": "pupils-2-months", "kind": "impact_check", "offset_days": 60, "guskey_level": 5},
        {
            "id": "pupils-3-months",
            "title": "Pupils, 3 months on",
            "kind": "impact_check",
            "offset_days": 91,
            "guskey_level": 5,
        },
    ],
}
# Who answers what: a rating per impact check, and a check-in answer (None: never).
TEACHERS: dict[str, dict[str, str | None]] = {
    "ada@hillside.example": {
        "impact-start": "2",
        "checkin": "tried_twice",
        "impact-1-month": "4",
        "pupils-2-months": "3",
        "pupils-3-months": "4",
    },
    "alan@hillside.example": {
        "impact-start": "2",
        "checkin": "need_help",
        "impact-1-month": "3",
        "pupils-2-months": "3",
        "pupils-3-months": "5",
    },
    "grace@hillside.example": {
        "impact-start": "1",
        "checkin": None,
        "impact-1-month": "2",
        "pupils-2-months": None,
        "pupils-3-months": None,
    },
}


def policy(to: str) -> Any:
    def answer(item: Received) -> dict[str, str] | None:
        choice = TEACHERS[to].get(item.step_id or "")
        return {"choice": choice} if choice else None

    return answer


async def run_a_term(time_env: WorkflowEnvironment, s: Stack) -> str:
    """Three teachers through a term of check-ins and impact checks; one address bounces."""
    # Five weeks of term first, so the check-in is not lost to a holiday.
    year, monday, lead = await school_year_now(time_env, term_days=35)
    calendar = year.calendar.model_dump(mode="json")
    assert (
        await s.api.put("/v1/school/calendar", json=calendar, headers=s.auth())
    ).status_code == 200
    s.smtp.inbox.refuse["gone@hillside.example"] = "550 5.1.1 No such user"
    people = [{"name": n.split("@")[0].title(), "email": n} for n in TEACHERS]
    people.append({"name": '=HYPERLINK("http://evil")', "email": "gone@hillside.example"})
    body = {
        "reference": "term",
        "title": "Questioning",
        "event_date": monday.isoformat(),
        "plan": PLAN,
        "participants": people,
    }
    created = await s.api.post("/v1/events", json=body, headers=s.auth())
    walkers = [Walker(time_env, s, to) for to in TEACHERS]
    for _ in range(lead + 160):  # past the last check, even after a summer holiday
        await time_env.sleep(timedelta(days=1))
        for w in walkers:
            await w.collect(policy(w.to))
    return str(created.json()["id"])
