"""Workflows call activities by their contracts: each must have one implementation, of its shape."""

from __future__ import annotations

import inspect

from temporalio import activity

from activities import contracts
from activities.budget import BudgetActivities
from activities.email import EmailActivities
from activities.fanout import FanoutActivities
from activities.records import RecordActivities

IMPLEMENTATIONS = (BudgetActivities, EmailActivities, FanoutActivities, RecordActivities)


def shapes(functions: list[object]) -> dict[str, tuple[object, object]]:
    found: dict[str, tuple[object, object]] = {}
    for fn in functions:
        defn = activity._Definition.from_callable(fn)  # type: ignore[arg-type]
        if defn is not None and defn.name:
            assert defn.name not in found, f"{defn.name} is defined twice"
            found[defn.name] = (defn.arg_types, defn.ret_type)
    return found


def test_every_contract_is_implemented_once_with_the_same_shape() -> None:
    promised = shapes([fn for _, fn in inspect.getmembers(contracts, inspect.isfunction)])
    kept = shapes(
        [fn for cls in IMPLEMENTATIONS for _, fn in inspect.getmembers(cls, inspect.isfunction)]
    )
    # The names are those in every recorded history: a rename would strand running workflows.
    assert sorted(promised) == [
        "pause_participant_page",
        "project_participant",
        "recalendar_participant_page",
        "record_answer",
        "reserve_email",
        "reserve_send_slot",
        "resume_participant_page",
        "school_calendar",
        "school_calendar_at",
        "send_step_email",
        "start_participant_page",
        "withdraw_participant_page",
    ]
    assert kept == promised
