"""The body of a POST /v1/events: one training event for a school's teachers."""

from __future__ import annotations

from typing import Any

TEACHER = {"name": "Ada Lovelace", "email": "ada@hillside.example"}


def event(
    ref: str = "inset", people: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "reference": ref,
        "title": "Retrieval practice",
        "event_date": "2026-11-20",
        "participants": people or [TEACHER],
        **extra,
    }
