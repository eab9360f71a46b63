"""The body of a POST /v1/events: one training event for a school's teachers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TEACHER = {"name": "Ada Lovelace", "email": "ada@hillside.example"}


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
