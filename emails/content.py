"""What each step's email says: headline, question and one-tap options.

Pure: the activity passes in the signed URLs, this module decides the words. The words
here are English msgids (marked ``N_``), translated when an email or page is rendered
in the teacher's language (cpd/i18n.py), never at import.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from cpd.branding import DEFAULT_SIGN_OFF, Branding
from cpd.i18n import DEFAULT_LANGUAGE, N_, gettext_for
from cpd.plans import IMPACT_CHOICES, Step, StepKind, choices_for
from cpd.security import Links

CHOICE_LABELS = {
    "tried_twice": N_("Tried it twice or more"),
    "tried_once": N_("Tried it once"),
    "not_yet": N_("Not yet"),
    "need_help": N_("I'd like some help"),
    "done": N_("Done it"),
    "planned": N_("Planned, with a date"),
    "1": N_("1 - no change yet"),
    "2": N_("2 - a little"),
    "3": N_("3 - some"),
    "4": N_("4 - a lot"),
    "5": N_("5 - it's how I work now"),
}

# The same 1-5 scale, worded for level 3: the support around the teacher, not their practice.
LEVEL3_LABELS = {
    "1": N_("1 - none yet"),
    "2": N_("2 - a little"),
    "3": N_("3 - some"),
    "4": N_("4 - most of what is needed"),
    "5": N_("5 - all that is needed"),
}

HEADLINES = {
    StepKind.ACTION_PLAN: N_("Your action plan"),
    StepKind.CUE: N_("This week's cue"),
    StepKind.PRACTICE_CHECKIN: N_("How is it going?"),
    StepKind.EVIDENCE: N_("One small piece of evidence"),
    StepKind.IMPACT_CHECK: N_("What has changed?"),
    StepKind.LEADER_CHECK: N_("Time and resources"),
    StepKind.REFLECTION: N_("Looking back"),
    StepKind.PEER_OBSERVATION: N_("Watching each other teach"),
}

# A kind's question when the step has no prompt of its own (otherwise its headline).
QUESTIONS = {
    StepKind.PEER_OBSERVATION: N_("Have you watched a colleague try it, or been watched?"),
}

# The nudge a week after "planned" (purpose "follow_up", workflows/participant.py).
FOLLOW_UP = N_(
    "You said an observation is planned. If it has not happened yet, this is a good week "
    "to fix the time with your colleague: ten minutes of one lesson is enough."
)

FORM_LABELS = {
    StepKind.ACTION_PLAN: N_("Write my plan (1 minute)"),
    StepKind.EVIDENCE: N_("Add my evidence"),
    StepKind.REFLECTION: N_("Write my reflection"),
}

DEFAULT_FORM_LABEL = N_("Answer")

SUPPORT_TIP = N_(
    "Pick the one lesson this week where it fits most easily, "
    "and try just the first part of your plan there."
)

# A kind whose "not yet" needs a different first step than the plan's.
SUPPORT_TIPS = {
    StepKind.PEER_OBSERVATION: N_(
        "Ask one colleague this week if you can watch ten minutes of their lesson, "
        "or invite them into yours."
    ),
}


# "Did the support help?": the answers, and what each does (services/support.py).
SUPPORT_CHECK_CHOICES = (
    ("yes", N_("Yes, it helped")),
    ("no", N_("Not yet: I'd still like help")),
)


def choice_label(
    choice: str, kind: StepKind | None = None, language: str = DEFAULT_LANGUAGE
) -> str:
    _ = gettext_for(language)
    if kind is StepKind.LEADER_CHECK:
        return _(LEVEL3_LABELS.get(choice, choice))
    return _(CHOICE_LABELS.get(choice, choice))


def headline_for(kind: StepKind, language: str = DEFAULT_LANGUAGE) -> str:
    return gettext_for(language)(HEADLINES[kind])


def question_for(step: Step, language: str = DEFAULT_LANGUAGE) -> str:
    """The step's question; a built-in plan's wording is in the catalogue, a school's own
    wording is not and reads as the school wrote it."""
    _ = gettext_for(language)
    return _(step.prompt) if step.prompt else _(QUESTIONS.get(step.kind, HEADLINES[step.kind]))


# What each Guskey level asks about, said plainly for the teacher.
GUSKEY_NOTES = {
    3: N_("This is about the support around you, not about you."),
    4: N_("This is about your own practice: how you are using it."),
    5: N_("This is about your pupils: what you see in their learning."),
}

INTROS = {
    StepKind.ACTION_PLAN: N_("Plans that say when, where and with whom are the ones that stick."),
    StepKind.CUE: N_("A short cue to put your plan into this week."),
    StepKind.PRACTICE_CHECKIN: N_("Doing it twice with the same class is how a new habit starts."),
    StepKind.EVIDENCE: N_("Something small is perfect: a photo, a link or two lines."),
    StepKind.IMPACT_CHECK: N_("One tap: how much has changed so far?"),
    StepKind.LEADER_CHECK: N_("Your honest answer helps leaders give time where it is needed."),
    StepKind.REFLECTION: N_("A few lines to close the year."),
    StepKind.PEER_OBSERVATION: N_(
        "Ten minutes in a colleague's lesson, or theirs in yours, shows what the plan looks "
        "like in a real classroom."
    ),
}


def reply_hint(kind: StepKind, language: str = DEFAULT_LANGUAGE) -> str:
    """How to answer by reply, in words a teacher would type; true of emails/reading.py.
    Replies are read in English, so the Welsh hints offer the numbers (a number on the
    first line is understood in any language), not words."""
    _ = gettext_for(language)
    choices = choices_for(kind)
    if choices == IMPACT_CHOICES:
        return _("Or just reply to this email with a number from 1 to 5.")
    if choices:
        numbers = ", ".join(str(n) for n in range(1, len(choices)))
        return _(
            "Or just reply to this email: %(numbers)s or %(last)s, or a few words of your own."
        ) % {
            "numbers": numbers,
            "last": len(choices),
        }
    if kind is StepKind.REFLECTION:
        return _(
            "You can also reply to this email with your answer. A reflection sent by reply "
            "stays private to you; to share it with your CPD lead, use the button."
        )
    return _("You can also just reply to this email with your answer.")


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
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """Everything a step's email says: to whom, for what, with which choices and links.
    ``said``: the words of a reply we could not read (purpose "clarify"); ``lead_told``:
    a support email for a "need help" answer, which the school's CPD lead is emailed about;
    ``language``: the teacher's (cpd/i18n.py). A school's own copy overrides are its
    words, shown as written, in whichever language."""
    _ = gettext_for(language)
    override = branding.copy_overrides.get(step.kind)
    choices = choices_for(step.kind)
    numbered = choices != IMPACT_CHOICES
    options = [
        {
            "label": (
                f"{n}. {choice_label(c, None, language)}"
                if numbered
                else choice_label(c, step.kind, language)
            ),
            "url": f"{links.answer}?{urlencode({'choice': c})}",
        }
        for n, c in enumerate(choices, start=1)
    ]
    return {
        "headline": (override and override.headline) or _(HEADLINES[step.kind]),
        "intro": (override and override.intro) or _(INTROS[step.kind]),
        "level_note": _(GUSKEY_NOTES[step.guskey_level or 0])
        if step.guskey_level in GUSKEY_NOTES
        else "",
        "question": question_for(step, language),
        "options": options,
        "form_url": links.answer if not choices else "",
        "form_label": _(FORM_LABELS.get(step.kind, DEFAULT_FORM_LABEL)),
        "purpose": purpose,
        "support_tip": _(SUPPORT_TIPS.get(step.kind, SUPPORT_TIP)),
        "follow_up": _(FOLLOW_UP),
        "action_plan_text": action_plan_text if step.kind is not StepKind.ACTION_PLAN else "",
        "reply_hint": reply_hint(step.kind, language),
        "said": said,
        "teacher_name": " ".join(teacher_name.split()),
        "event_title": event_title,
        "school_name": school_name,
        # The default sign-off is ours to translate; a school's own is its words.
        "sign_off": _(branding.sign_off)
        if branding.sign_off == DEFAULT_SIGN_OFF
        else branding.sign_off,
        "signature": branding.signature,
        "logo_url": str(branding.logo_url) if branding.logo_url else "",
        "colour": branding.colour,
        "pause_url": links.pause,
        "portfolio_url": links.portfolio,
        # A lead marked the teacher's request for help as supported: did it help?
        "support_check": (
            [
                {"label": _(label), "url": f"{links.support}?{urlencode({'helped': value})}"}
                for value, label in SUPPORT_CHECK_CHOICES
            ]
            if links.support
            else []
        ),
        "lead_told": lead_told,
    }
