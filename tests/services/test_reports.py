"""What leaders read: status at a glance, impact by Guskey level over time, CSV export."""

from __future__ import annotations

import csv
import io

from temporalio.testing import WorkflowEnvironment

from tests.support.census import running_and_recounted
from tests.support.reports import run_a_term
from tests.support.signin import sign_in_as_lead
from tests.support.stack import StackFactory


async def test_status_impact_and_export(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    async with ts_stack(email_budget_per_week=10) as s:
        event_id = await run_a_term(time_env, s)
        status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
        assert status["stages"] == {"completed": 4}
        assert [r["title"] for r in status["steps"]][:2] == ["Impact check", "Week 2 check-in"]
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
        # Steps in words, in the plan's order: worked out from their timing, or their own.
        assert list(rows[0])[6:] == [
            "Impact check",
            "Week 2 check-in",
            "1-month impact check",
            "2-month impact check",
            "Pupils, 3 months on",
        ]
        assert by_email["alan@hillside.example"]["Week 2 check-in"] == "I'd like some help"
        assert by_email["ada@hillside.example"]["1-month impact check"] == "4 - a lot"
        assert by_email["grace@hillside.example"]["missed_steps"] == "3"
        # The dashboard says the same words, never the step ids.
        await sign_in_as_lead(s)
        page = (await s.api.get(f"/dashboard/events/{event_id}")).text
        assert "Week 2 check-in" in page and "Pupils, 3 months on" in page
        assert "pupils-3-months" not in page and "impact-1-month" not in page
        # A name that looks like a formula is defused for Excel.
        assert by_email["gone@hillside.example"]["name"].startswith("'=")
