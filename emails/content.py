"""What each step's email says: headline, question and one-tap options.

Pure: the activity passes in the signed URLs, this module decides the words.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from cpd.branding import Branding
from cpd.plans import IMPACT_CHOICES, Step, StepKind, choices_for
from cpd.security import Links

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

# The same 1-5 scale, worded for level 3: the support around the teacher, not their practice.
LEVEL3_LABELS = {
    "1": "1 - none yet",
    "2": "2 - a little",
    "3": "3 - some",
    "4": "4 - most of what is needed",
    "5": "5 - all that is needed",
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


# "Did the support help?": the answers, and what each does (services/support.py).
SUPPORT_CHECK_CHOICES = (("yes", "Yes, it helped"), ("no", "Not yet: I'd still like help"))


def choice_label(choice: str, kind: StepKind | None = None) -> str:
    if kind is StepKind.LEADER_CHECK:
        return LEVEL3_LABELS.get(choice, choice)
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


def reply_hint(kind: StepKind) -> str:
    """How to answer by reply, in words a teacher would type; true of emails/reading.py."""
    choices = choices_for(kind)
    if choices == IMPACT_CHOICES:
        return "Or just reply to this email with a number from 1 to 5."
    if choices:
        numbers = ", ".join(str(n) for n in range(1, len(choices))) + f" or {len(choices)}"
        return f"Or just reply to this email: {numbers}, or a few words of your own."
    if kind is StepKind.REFLECTION:
        return (
            "You can also reply to this email with your answer. A reflection sent by reply "
            "stays private to you; to share it with your CPD lead, use the button."
        )
    return "You can also just reply to this email with your answer."


def step_email_context(
    step: Step,
    purpose: str,
    links: Links,
    action_plan_text: str,
    branding: Branding,
    *,
    teacher_name: str,
    event_title: str,
    school_name: str,
    said: str = "",
    lead_told: bool = False,
) -> dict[str, Any]:
    """Everything a step's email says: to whom, for what, with which choices and links.
    ``said``: the words of a reply we could not read (purpose "clarify"); ``lead_told``:
    a support email for a "need help" answer, which the school's CPD lead is emailed about."""
    override = branding.copy_overrides.get(step.kind)
    choices = choices_for(step.kind)
    numbered = choices != IMPACT_CHOICES
    options = [
        {
            "label": f"{n}. {choice_label(c)}" if numbered else choice_label(c, step.kind),
            "url": f"{links.answer}?{urlencode({'choice': c})}",
        }
        for n, c in enumerate(choices, start=1)
    ]
    return {
        "headline": (override and override.headline) or HEADLINES[step.kind],
        "intro": (override and override.intro) or INTROS[step.kind],
        "level_note": GUSKEY_NOTES.get(step.guskey_level or 0, ""),
        "question": step.prompt or HEADLINES[step.kind],
        "options": options,
        "form_url": links.answer if not choices else "",
        "form_label": FORM_LABELS.get(step.kind, "Answer"),
        "purpose": purpose,
        "support_tip": SUPPORT_TIP,
        "action_plan_text": action_plan_text if step.kind is not StepKind.ACTION_PLAN else "",
        "reply_hint": reply_hint(step.kind),
        "said": said,
        "teacher_name": " ".join(teacher_name.split()),
        "event_title": event_title,
        "school_name": school_name,
        "sign_off": branding.sign_off,
        "signature": branding.signature,
        "logo_url": str(branding.logo_url) if branding.logo_url else "",
        "colour": branding.colour,
        "pause_url": links.pause,
        "portfolio_url": links.portfolio,
        # A lead marked the teacher's request for help as supported: did it help?
        "support_check": (
            [
                {"label": label, "url": f"{links.support}?{urlencode({'helped': value})}"}
                for value, label in SUPPORT_CHECK_CHOICES
            ]
            if links.support
            else []
        ),
        "lead_told": lead_told,
    }
