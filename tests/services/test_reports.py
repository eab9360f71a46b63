"""What leaders read: status at a glance, impact by Guskey level over time, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack, StackFactory
from tests.support.census import running_and_recounted
from tests.support.walk import Received, Walker
from tests.workflows.test_year import school_year_now

PLAN = {
    "id": "impact-term",
    "name": "A term with impact checks",
    "steps": [
        {"id": "impact-start", "kind": "impact_check", "offset_days": 0, "guskey_level": 4},
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 14},
        {"id": "impact-1-month", "kind": "impact_check", "offset_days": 30, "guskey_level": 4},
        {"id": "pupils-2-months", "kind": "impact_check", "offset_days": 60, "guskey_level": 5},
        {"id": "pupils-3-months", "kind": "impact_check", "offset_days": 91, "guskey_level": 5},
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


async def test_status_impact_and_export(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    async with ts_stack(email_budget_per_week=10) as s:
        event_id = await run_a_term(time_env, s)
        status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
        assert status["stages"] == {"completed": 4}
        # Counts are running totals, kept by every projection and bounce on the way.
        running, recounted = await running_and_recounted(s.db, event_id)
        assert running == recounted == {("completed", 4, 1, 1, 1, 0, 0)}
        rates = {
            r["step_id"]: (r["sent"], r["answered"], r["response_rate"]) for r in status["steps"]
        }
        assert rates["impact-start"] == (3, 3, 1.0)
        assert rates["checkin"] == (3, 2, 0.667)
        assert rates["pupils-3-months"] == (3, 2, 0.667)
        names = {k: [p["name"] for p in v["people"]] for k, v in status["attention"].items()}
        assert status["attention"]["overdue"]["count"] == 1
        assert names["needs_help"] == ["Alan"]
        assert names["overdue"] == ["Grace"]
        assert names["bounced"] == ['=HYPERLINK("http://evil")']

        impact = (await s.api.get(f"/v1/events/{event_id}/impact", headers=s.auth())).json()
        points = {c["step_id"]: c for c in impact["checkpoints"]}
        assert points["impact-start"]["distribution"] == {"1": 1, "2": 2, "3": 0, "4": 0, "5": 0}
        assert points["impact-start"]["mean"] == 1.67 and points["impact-start"]["month"] == 0
        assert points["impact-1-month"]["mean"] == 3.0 and points["impact-1-month"]["month"] == 1
        assert points["impact-1-month"]["change_from_first"] == 1.33
        assert (
            points["pupils-3-months"]["guskey_level"] == 5
            and points["pupils-3-months"]["month"] == 3
        )
        assert points["pupils-3-months"]["change_from_first"] == 1.5  # 4.5 against 3.0

        export = await s.api.get(f"/v1/events/{event_id}/export.csv", headers=s.auth())
        assert export.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        by_email = {r["email"]: r for r in rows}
        assert by_email["alan@hillside.example"]["checkin"] == "I'd like some help"
        assert by_email["ada@hillside.example"]["impact-1-month"] == "4 - a lot"
        assert by_email["grace@hillside.example"]["missed_steps"] == "3"
        # A name that looks like a formula is defused for Excel.
        assert by_email["gone@hillside.example"]["name"].startswith("'=")
