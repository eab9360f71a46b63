"""A CPD lead changes the school calendar by hand: what they add moves the emails, and an
impossible date is refused next to its field with nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from tests.support.calendars import LONDON
from tests.support.inbox import sent_at
from tests.support.signin import post_form, sign_in_as_lead
from tests.support.stack import StackFactory
from tests.support.year import school_year_now, signalled

PLAN = {
    "id": "plan-then-cue",
    "name": "A plan, then a cue a week later",
    "steps": [
        {"id": "plan", "kind": "action_plan", "offset_days": 0, "answer_window_working_days": 0},
        {"id": "cue", "kind": "cue", "offset_days": 7, "reminders": {"max_reminders": 0}},
    ],
}
TEACHER = "ada@hillside.example"


async def test_a_snow_day_added_by_hand_moves_a_waiting_step_to_the_next_school_day(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=20)
    cue_day = monday + timedelta(days=7)
    async with ts_stack(year.calendar) as s:
        body = {
            "reference": "snow",
            "title": "Retrieval practice",
            "event_date": monday.isoformat(),
            "plan": PLAN,
            "participants": [{"name": "Ada Lovelace", "email": TEACHER}],
        }
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        await time_env.sleep(timedelta(days=lead + 1))
        assert len(s.smtp.inbox.to(TEACHER)) == 1  # the plan; the cue is a week away

        await sign_in_as_lead(s)
        added = await post_form(
            s,
            "/dashboard/calendar/dates",
            {"kind": "closure", "name": "Snow day", "start": cue_day.isoformat(), "end": ""},
        )
        assert added.status_code == 303
        page = (await s.api.get(added.headers["location"])).text
        assert "Waiting emails move to fit these dates now" in page and "Snow day" in page
        await signalled(time_env, s)
        await time_env.sleep(timedelta(days=9))
        [_, cue] = s.smtp.inbox.to(TEACHER)
        assert sent_at(cue).astimezone(LONDON).date() == cue_day + timedelta(days=1)


async def test_dates_added_and_removed_by_hand_and_impossible_ones_refused(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        before = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        for bad, says in (
            ({"kind": "closure", "start": "2027-02-31"}, "Give a real date"),
            ({"kind": "inset", "start": "2027-01-05", "end": "2027-01-04"}, "before the first"),
            ({"kind": "closure", "start": "2099-03-01"}, "check the year"),
            ({"kind": "holiday", "start": "2027-01-05"}, "Choose a term, a closure"),
        ):
            refused = await post_form(s, "/dashboard/calendar/dates", bad)
            assert refused.status_code == 422 and says in refused.text, bad
            assert "Nothing was saved" in refused.text and 'aria-invalid="true"' in refused.text
        refused = await post_form(
            s, "/dashboard/calendar/place", {"nation": "england", "timezone": "Mars/Olympus"}
        )
        assert refused.status_code == 422 and "Unknown time zone" in refused.text
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == before

        day = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
        for kind, name in (("inset", "Training"), ("closure", "Strike day")):
            added = await post_form(
                s, "/dashboard/calendar/dates", {"kind": kind, "name": name, "start": day}
            )
            assert added.status_code == 303
        saved = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        assert [c["name"] for c in saved["closures"][-2:]] == ["INSET day: Training", "Strike day"]
        removed = await post_form(
            s,
            "/dashboard/calendar/dates/remove",
            {"kind": "closure", "name": "Strike day", "start": day, "end": day},
        )
        assert removed.status_code == 303
        again = await post_form(
            s,
            "/dashboard/calendar/dates/remove",
            {"kind": "closure", "name": "Strike day", "start": day, "end": day},
        )
        assert again.status_code == 422 and "already removed" in again.text
        after = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        assert [c["name"] for c in after["closures"]][-1] == "INSET day: Training"

        scotland = await post_form(
            s, "/dashboard/calendar/place", {"nation": "scotland", "timezone": "Europe/London"}
        )
        assert scotland.status_code == 303
        page = (await s.api.get("/dashboard/calendar")).text
        assert "Bank holidays (Scotland)" in page and "Saint Andrew" in page


async def test_a_later_send_window_moves_a_waiting_step_to_its_start(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    year, monday, lead = await school_year_now(time_env, term_days=20)
    cue_day = monday + timedelta(days=7)
    async with ts_stack(year.calendar) as s:
        body = {
            "reference": "window",
            "title": "Retrieval practice",
            "event_date": monday.isoformat(),
            "plan": PLAN,  # the cue is due at 08:00, inside the usual 07:30 to 17:30
            "participants": [{"name": "Ada Lovelace", "email": TEACHER}],
        }
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        await time_env.sleep(timedelta(days=lead + 1))
        assert len(s.smtp.inbox.to(TEACHER)) == 1

        await sign_in_as_lead(s)
        saved = await post_form(
            s,
            "/dashboard/settings/sending",
            {"window_start": "10:00", "window_end": "15:00", "budget": "3"},
        )
        assert saved.status_code == 303
        await signalled(time_env, s)
        await time_env.sleep(timedelta(days=9))
        [_, cue] = s.smtp.inbox.to(TEACHER)
        when = sent_at(cue).astimezone(LONDON)
        assert (when.date(), when.hour, when.minute) == (cue_day, 10, 0)
