"""A teacher who joins weeks after the event starts with the action plan, then joins the
plan where it stands: the cues and check-ins already past are never sent in a burst."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from tests.support.stack import StackFactory
from tests.support.year import TEACHER, school_year_now, trigger

LATE = "late@hillside.example"


async def test_a_teacher_added_three_weeks_on_joins_where_the_plan_stands(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=40)
    async with ts_stack(year.calendar) as s:
        event = await trigger(s, "whole-school-inset", monday)
        await time_env.sleep(timedelta(days=lead + 22))
        more = {"participants": [{"name": "Late Joiner", "email": LATE}]}
        added = await s.api.post(
            f"/v1/events/{event['id']}/participants", json=more, headers=s.auth()
        )
        assert added.status_code == 201
        await time_env.sleep(timedelta(days=14))

        subjects = [str(m["Subject"]).split(" (")[0] for m in s.smtp.inbox.to(LATE)]
        firsts = [x for x in subjects if not x.startswith("Reminder")]
        assert firsts == ["Your action plan", "What has changed?"]
        assert "This week's cue" in [
            str(m["Subject"]).split(" (")[0] for m in s.smtp.inbox.to(TEACHER)
        ]
        pid = added.json()["added"][0]["id"]
        detail = await s.api.get(f"/v1/events/{event['id']}/participants/{pid}", headers=s.auth())
        statuses = {r["step_id"]: r["status"] for r in detail.json()["timeline"]["steps"]}
        assert [statuses[k] for k in ("cue-week-1", "checkin-week-2", "cue-week-3")] == [
            "before_joined"
        ] * 3
        assert statuses["impact-1-month"] == "sent"
