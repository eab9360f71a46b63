"""The body of a POST /v1/events: one training event for a school's teachers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TEACHER = {"name": "Ada Lovelace", "email": "ada@hillside.example"}

# A plan whose check-in is due at once (the event is today), and a step two months on
# that keeps the follow-through running meanwhile.
CHECKIN_THEN_IMPACT = {
    "id": "checkin-now",
    "name": "A check-in",
    "steps": [
        {"id": "checkin", "kind": "practice_checkin", "offset_days": 0, "send_time": "00:00"},
        {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}


def days_ago(days: int) -> str:
    """A date relative to today in London (the test schools' zone), as the API takes it:
    events must be dated within 90 days of the day they are triggered."""
    return (
        datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date() - timedelta(days)
    ).isoformat()


def event(
    ref: str = "inset", people: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "reference": ref,
        "title": "Retrieval practice",
        "event_date": days_ago(12),
        "participants": people or [TEACHER],
        **extra,
    }
