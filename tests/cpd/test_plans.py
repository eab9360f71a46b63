"""Plans are data: built-in ones are sound, a school's own plan is validated."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cpd.builtin_plans import BUILTIN_PLANS, DEFAULT_PLAN_ID
from cpd.plans import Plan, ReminderPolicy, Step, StepKind
from tests.support.events import days_ago
from tests.support.inbox import text_of
from tests.support.stack import StackFactory


def test_the_default_plan_follows_the_research() -> None:
    plan = BUILTIN_PLANS[DEFAULT_PLAN_ID]
    kinds = [s.kind for s in plan.steps]
    assert kinds[0] is StepKind.ACTION_PLAN and plan.steps[0].offset_days == 0
    # Cues and check-ins across weeks 1-6, evidence around half-term.
    early = [s for s in plan.steps if s.kind in (StepKind.CUE, StepKind.PRACTICE_CHECKIN)]
    assert {s.offset_days // 7 for s in early} >= {1, 2, 3, 6}
    assert any(s.kind is StepKind.EVIDENCE and 42 <= s.offset_days <= 56 for s in plan.steps)
    # Impact checks at about 1, 3, 6 and 12 months, each at its Guskey level.
    impact = {s.offset_days: s.guskey_level for s in plan.steps if s.kind is StepKind.IMPACT_CHECK}
    assert sorted(impact) == [30, 91, 182, 365]
    assert all(level in (4, 5) for level in impact.values())
    assert any(s.kind is StepKind.LEADER_CHECK and s.guskey_level == 3 for s in plan.steps)
    assert plan.steps[-1].kind is StepKind.REFLECTION


@pytest.mark.parametrize("plan_id", sorted(BUILTIN_PLANS))
def test_built_in_plans_span_at_least_two_terms_with_capped_reminders(plan_id: str) -> None:
    plan = BUILTIN_PLANS[plan_id]
    assert plan.steps[-1].offset_days >= 120
    assert all(s.reminders.max_reminders <= 3 for s in plan.steps)


def custom_plan(**change: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "id": "our-feedback-plan",
        "name": "Feedback: one term",
        "steps": [
            {"id": "plan", "kind": "action_plan", "offset_days": 0, "send_time": "15:30"},
            {"id": "check", "kind": "practice_checkin", "offset_days": 14},
            {"id": "impact", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
        ],
    }
    plan.update(change)
    return plan


def event_with(plan: dict[str, Any]) -> dict[str, Any]:
    return {
        "reference": "custom",
        "title": "Feedback that moves learning on",
        "event_date": days_ago(12),
        "plan": plan,
        "participants": [{"name": "Ada Lovelace", "email": "ada@hillside.example"}],
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"steps": [{"id": "i", "kind": "impact_check", "offset_days": 3}]},
            "plan.steps.0",
            "step 'i': an impact check needs its guskey_level",
        ),
        (
            {
                "steps": [
                    {"id": "a", "kind": "cue", "offset_days": 2, "reminders": {"max_reminders": 0}},
                    {"id": "a", "kind": "cue", "offset_days": 9, "reminders": {"max_reminders": 0}},
                ]
            },
            "plan",
            "step ids must be unique; repeated: a",
        ),
        ({"steps": []}, "plan.steps", "at least 1 item"),
        (
            {"steps": [{"id": "Bad Id!", "kind": "cue", "offset_days": 1}]},
            "plan.steps.0.id",
            "should match pattern",
        ),
        (
            {
                "steps": [
                    {
                        "id": "x",
                        "kind": "evidence",
                        "offset_days": 1,
                        "reminders": {"max_reminders": 9},
                    }
                ]
            },
            "plan.steps.0.reminders.max_reminders",
            "less than or equal to 3",
        ),
        (
            {"steps": [{"id": "x", "kind": "gossip", "offset_days": 1}]},
            "plan.steps.0.kind",
            "Input should be",
        ),
    ],
)
async def test_an_invalid_custom_plan_gets_a_clear_422_and_starts_nothing(
    dev_stack: StackFactory, change: dict[str, Any], field: str, message: str
) -> None:
    async with dev_stack() as s:
        bad = await s.api.post(
            "/v1/events", json=event_with(custom_plan(**change)), headers=s.auth()
        )
        assert bad.status_code == 422
        fields = {f["field"]: f["message"] for f in bad.json()["fields"]}
        assert field in fields, fields
        assert message in fields[field]
        assert s.smtp.inbox.messages == []


async def test_a_valid_custom_plan_runs(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        ok = await s.api.post("/v1/events", json=event_with(custom_plan()), headers=s.auth())
        assert ok.status_code == 201, ok.text
        assert ok.json()["plan_id"] == "our-feedback-plan"
        [mail] = await s.smtp.inbox.wait_for(1)
        assert "Your action plan" in str(mail["Subject"])
        assert "Dear Ada Lovelace" in text_of(mail)


def test_steps_sent_out_of_order_are_taken_in_order_of_their_days() -> None:
    given = custom_plan()
    given["steps"] = [given["steps"][2], given["steps"][0], given["steps"][1]]
    plan = Plan.model_validate(given)
    assert [s.id for s in plan.steps] == ["plan", "check", "impact"]


def test_a_reminder_count_is_a_number_not_true_or_false() -> None:
    with pytest.raises(ValidationError, match="must be a whole number, not true or false"):
        ReminderPolicy.model_validate_json('{"max_reminders": false}')


def test_every_built_in_step_has_words_of_its_own() -> None:
    for plan in BUILTIN_PLANS.values():
        titles = [s.display_title for s in plan.steps]
        assert len(set(titles)) == len(titles), plan.id  # each column of an export distinct
        assert not any(s.id in t for s, t in zip(plan.steps, titles, strict=True)), plan.id
    whole = BUILTIN_PLANS["whole-school-inset"]
    assert [whole.step(i).display_title for i in ("checkin-week-2", "impact-3-months")] == [  # type: ignore[union-attr]
        "Week 2 check-in",
        "3-month impact check",
    ]


def test_a_cue_given_no_reminder_count_gets_none_and_one_given_some_is_refused() -> None:
    for reminders in ({}, {"every_working_days": 3}):
        step = Step.model_validate(
            {"id": "cue", "kind": "cue", "offset_days": 7, "reminders": reminders}
        )
        assert step.reminders.max_reminders == 0
    with pytest.raises(ValidationError, match="cues are never chased with reminders"):
        Step.model_validate(
            {"id": "cue", "kind": "cue", "offset_days": 7, "reminders": {"max_reminders": 2}}
        )
