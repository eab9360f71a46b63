"""What each step's email says: headline, question and one-tap options.

Pure: the activity passes in the signed URLs, this module decides the words.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from cpd.plans import Step, StepKind, choices_for

CHOICE_LABELS = {
    "tried_twice": "Tried it twice or more",
    "tried_once": "Tried it once",
    "not_yet": "Not yet",
    "need_help": "I'd like some help",
    "done": "Done it",
    "1": "1 - no change yet",
    "2": "2 - a little",
    "3": "3 - some",
    "4": "4 - a lot",
    "5": "5 - it's how I work now",
}

HEADLINES = {
    StepKind.ACTION_PLAN: "Your action plan",
    StepKind.CUE: "This week's cue",
    StepKind.PRACTICE_CHECKIN: "How is it going?",
    StepKind.EVIDENCE: "One small piece of evidence",
    StepKind.IMPACT_CHECK: "What has changed?",
    StepKind.LEADER_CHECK: "Time and resources",
    StepKind.REFLECTION: "Looking back",
}

FORM_LABELS = {
    StepKind.ACTION_PLAN: "Write my plan (1 minute)",
    StepKind.EVIDENCE: "Add my evidence",
    StepKind.REFLECTION: "Write my reflection",
}

SUPPORT_TIP = (
    "Pick the one lesson this week where it fits most easily, "
    "and try just the first part of your plan there."
)


def choice_label(choice: str) -> str:
    return CHOICE_LABELS.get(choice, choice)


def step_email_context(
    step: Step, purpose: str, answer_url: str, action_plan_text: str
) -> dict[str, Any]:
    choices = choices_for(step.kind)
    options = [
        {"label": choice_label(c), "url": f"{answer_url}?{urlencode({'choice': c})}"}
        for c in choices
    ]
    return {
        "headline": HEADLINES[step.kind],
        "question": step.prompt or HEADLINES[step.kind],
        "options": options,
        "form_url": answer_url if not choices else "",
        "form_label": FORM_LABELS.get(step.kind, "Answer"),
        "purpose": purpose,
        "support_tip": SUPPORT_TIP,
        "action_plan_text": action_plan_text if step.kind is not StepKind.ACTION_PLAN else "",
        "reply_hint": "",
    }
