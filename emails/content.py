"""What each step's email says: headline, question and one-tap options.

Pure: the activity passes in the signed URLs, this module decides the words.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from cpd.branding import CopyOverride
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


# What each Guskey level asks about, said plainly for the teacher.
GUSKEY_NOTES = {
    3: "This is about the support around you, not about you.",
    4: "This is about your own practice: how you are using it.",
    5: "This is about your pupils: what you see in their learning.",
}

INTROS = {
    StepKind.ACTION_PLAN: "Plans that say when, where and with whom are the ones that stick.",
    StepKind.CUE: "A short cue to put your plan into this week.",
    StepKind.PRACTICE_CHECKIN: "Doing it twice with the same class is how a new habit starts.",
    StepKind.EVIDENCE: "Something small is perfect: a photo, a link or two lines.",
    StepKind.IMPACT_CHECK: "One tap: how much has changed so far?",
    StepKind.LEADER_CHECK: "Your honest answer helps leaders give time where it is needed.",
    StepKind.REFLECTION: "A few lines to close the year.",
}


def step_email_context(
    step: Step,
    purpose: str,
    answer_url: str,
    action_plan_text: str,
    override: CopyOverride | None = None,
) -> dict[str, Any]:
    choices = choices_for(step.kind)
    options = [
        {"label": choice_label(c), "url": f"{answer_url}?{urlencode({'choice': c})}"}
        for c in choices
    ]
    return {
        "headline": (override and override.headline) or HEADLINES[step.kind],
        "intro": (override and override.intro) or INTROS[step.kind],
        "level_note": GUSKEY_NOTES.get(step.guskey_level or 0, ""),
        "question": step.prompt or HEADLINES[step.kind],
        "options": options,
        "form_url": answer_url if not choices else "",
        "form_label": FORM_LABELS.get(step.kind, "Answer"),
        "purpose": purpose,
        "support_tip": SUPPORT_TIP,
        "action_plan_text": action_plan_text if step.kind is not StepKind.ACTION_PLAN else "",
        "reply_hint": "You can also just reply to this email with your answer.",
    }
