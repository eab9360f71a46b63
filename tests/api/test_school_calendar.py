"""A school imports its published calendar: a preview first, saved only when asked."""

from __future__ import annotations

from pathlib import Path

from tests.support.stack import StackFactory

CALENDARS = Path(__file__).parents[1] / "cpd" / "calendars"


async def test_an_ics_is_previewed_then_saved_and_a_bad_one_changes_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        before = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        ics = (CALENDARS / "hillside-2026-27.ics").read_bytes()
        files = {"file": ("term-dates.ics", ics, "text/calendar")}

        preview = await s.api.post("/v1/school/calendar.ics", files=files, headers=s.auth())
        assert preview.status_code == 200, preview.text
        assert preview.json()["applied"] is False
        assert [t["name"] for t in preview.json()["terms"]] == [
            "Autumn Term",
            "Spring Term",
            "Summer Term",
        ]
        assert preview.json()["not_understood"] == ["Year 11 Parents Evening (2026-11-12)"]
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == before

        saved = await s.api.post(
            "/v1/school/calendar.ics", files=files, data={"apply": "true"}, headers=s.auth()
        )
        assert saved.status_code == 200 and saved.json()["applied"] is True
        after = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        assert [t["start"] for t in after["terms"]] == ["2026-09-02", "2027-01-05", "2027-04-12"]
        assert after["timezone"] == before["timezone"]  # only the dates change

        bad = {"file": ("oops.ics", b"BEGIN:VCALENDAR\r\nnot really", "text/calendar")}
        refused = await s.api.post(
            "/v1/school/calendar.ics", files=bad, data={"apply": "true"}, headers=s.auth()
        )
        assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "file"
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == after
