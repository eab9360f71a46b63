"""Every teacher-facing email and page reads in Welsh, with no English left behind.

Three checks, each able to fail on its own:
- the catalogue: every string marked for translation (extracted afresh, as
  scripts/messages does) has a Welsh msgstr, not empty, not fuzzy, with the same
  placeholders; and the committed POT is up to date;
- the templates: each teacher-facing template is rendered in English and in Welsh over
  contexts that reach its branches, and no English line of text survives into the
  Welsh (that catches a sentence nobody wrapped for translation, too);
- every template is known: a new one must be listed as a teacher's or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from api.pages import TEMPLATES_DIR as PAGES_DIR
from api.pages import page_environment
from cpd.branding import Branding, CopyOverride
from cpd.builtin_plans import BUILTIN_PLANS
from cpd.i18n import LOCALE_DIR, format_day, po_path
from cpd.plans import ACTION_PLAN_FIELDS, Step, StepKind, choices_for
from cpd.security import EXPIRED, Links
from cpd.settings import PROJECT_ROOT
from emails.content import (
    SUPPORT_CHECK_CHOICES,
    choice_label,
    headline_for,
    step_email_context,
)
from emails.render import TEMPLATES_DIR as EMAILS_DIR
from emails.render import EmailRenderer
from services.answers import ENDED, NOT_CONFIRMED, REASONS, TRY_AGAIN
from services.links import REPLACED

# What teachers see. Partials are covered through the templates that include them.
TEACHER_EMAILS = ("step", "portfolio_link")
TEACHER_PAGES = (
    "answer.html",
    "recorded.html",
    "support_check.html",
    "problem.html",
    "not_confirmed.html",
    "manage.html",
    "managed.html",
    "fresh_link.html",
    "portfolio.html",
)
PARTIALS = {
    "emails/_base.html",
    "emails/_base.txt",
    "emails/_buttons.html",
    "emails/_buttons.txt",
    "emails/_plain.html",
    "emails/_plan_quote.html",
    "emails/_plan_quote.txt",
    "pages/_layout.html",
}
# Leaders' emails and pages, and the developer's mailbox: English only.
NOT_FOR_TEACHERS = {"help_requests", "leader_check", "weekly_digest", "next_year_dates"}
NOT_FOR_TEACHERS |= {"magic_link", "pages/mailbox.html", "pages/mailbox_message.html"}

# Words the same in both languages, or names; never evidence of a missed translation.
SAME_IN_BOTH = {"PDF", "ZIP", "MB", "DPP", "CPD"}


# ---- the catalogue ----------------------------------------------------------------


def extracted() -> dict[str, set[str]]:
    """Every msgid in the code and templates now, with its python-format placeholders."""
    with (PROJECT_ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, set[str]] = {}
    for package in ("cpd", "emails", "services", "api"):
        for _, _, message, _, _ in extract_from_dir(
            PROJECT_ROOT / package, method_map, options_map
        ):
            msgid = message if isinstance(message, str) else message[0]
            found[msgid] = set(re.findall(r"%\((\w+)\)s", msgid))
    return found


def test_every_string_marked_for_translation_has_its_welsh() -> None:
    with po_path("cy").open("rb") as f:
        catalog = read_po(f, locale="cy")
    welsh = {m.id: m for m in catalog if m.id}
    problems = []
    for msgid, names in sorted(extracted().items()):
        m = welsh.get(msgid)
        if m is None:
            problems.append(f"not in the Welsh catalogue (run scripts/messages): {msgid!r}")
        elif not m.string or m.fuzzy:
            problems.append(f"no Welsh for {msgid!r}")
        elif set(re.findall(r"%\((\w+)\)s", str(m.string))) != names:
            problems.append(f"the Welsh for {msgid!r} has other placeholders")
    assert not problems, "\n".join(problems)


def test_the_committed_pot_matches_the_code() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    assert pot == set(extracted()), "the POT is stale: run scripts/messages"


# ---- English left in a Welsh render -----------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._hidden = 0  # inside <style> or <script>: not text anyone reads

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.lines += data.splitlines()


def text_lines(rendered: str) -> list[str]:
    """The lines of text a person reads: HTML's text nodes, or a plain text's lines."""
    if "<" in rendered:
        parser = _Text()
        parser.feed(rendered)
        return parser.lines
    return rendered.splitlines()


def _values(context: Any) -> list[str]:
    """Every string in a context: names, titles, links (the same in both languages)."""
    if isinstance(context, str):
        return [context]
    if isinstance(context, dict):
        return [v for x in context.values() for v in _values(x)]
    if isinstance(context, list | tuple):
        return [v for x in context for v in _values(x)]
    if hasattr(context, "__dict__"):
        return _values(vars(context))
    return []


def _words(line: str, values: list[str]) -> str:
    for value in sorted(values, key=len, reverse=True):
        if len(value) > 2:
            line = line.replace(value, " ")
    return " ".join(w for w in re.findall(r"[A-Za-z']{3,}", line) if w not in SAME_IN_BOTH)


def english_left(english: str, welsh: str, context: dict[str, Any]) -> list[str]:
    """Lines of the English render found word for word in the Welsh one."""
    values = _values(context)
    welsh_lines = {_words(line, values) for line in text_lines(welsh)}
    return [
        line.strip()
        for line in text_lines(english)
        if (words := _words(line, values)) and words in welsh_lines
    ]


def test_an_english_sentence_left_unwrapped_is_caught() -> None:
    # The check itself: a template line nobody wrapped reads the same in both languages.
    source = "<p>{{ _('Send') }}</p>\n<p>Nobody wrapped this sentence.</p>\n<p>{{ name }}</p>"
    context = {"name": "Siân Jones"}
    en = page_environment("en").from_string(source).render(context)
    cy = page_environment("cy").from_string(source).render(context)
    assert english_left(en, cy, context) == ["Nobody wrapped this sentence."]


# ---- contexts that reach each template's branches -----------------------------------

LINKS = Links(
    answer="https://cpd.test/a/TOKEN",
    pause="https://cpd.test/u/TOKEN",
    portfolio="https://cpd.test/p/TOKEN",
    support="https://cpd.test/s/TOKEN",
)


def builtin_steps() -> list[Step]:
    """Every built-in step with its own wording: all the questions teachers are asked."""
    seen: dict[tuple[StepKind, str], Step] = {}
    for plan in BUILTIN_PLANS.values():
        for step in plan.steps:
            seen.setdefault((step.kind, step.prompt), step)
    return list(seen.values()) + [Step(id="no-words", kind=StepKind.EVIDENCE, offset_days=7)]


def step_contexts(language: str) -> list[dict[str, Any]]:
    contexts = []
    purposes = ("initial", "reminder", "support", "clarify")
    for step, purpose, asks_support, told in product(
        builtin_steps(), purposes, (False, True), (False, True)
    ):
        links = LINKS if asks_support else Links(LINKS.answer, LINKS.pause, LINKS.portfolio)
        contexts.append(
            step_email_context(
                step,
                purpose,
                links,
                "Think-pair-share gyda 8B",
                Branding(signature="Mrs Siân Jones"),
                teacher_name="Gwen Price",
                event_title="Dysgu gweithredol",
                school_name="Ysgol y Bryn",
                said="dim syniad" if told else "",
                lead_told=told,
                language=language,
            )
        )
    return contexts


def test_every_teacher_email_reads_in_welsh() -> None:
    renderer = EmailRenderer()
    cases = [
        ("step", en, cy) for en, cy in zip(step_contexts("en"), step_contexts("cy"), strict=True)
    ]
    for school in ("Ysgol y Bryn", ""):
        for by_lead in (False, True):
            ctx = {"link": "https://cpd.test/p/TOKEN", "school_name": school, "by_lead": by_lead}
            cases.append(("portfolio_link", ctx, ctx))
    assert {name for name, _, _ in cases} == set(TEACHER_EMAILS)
    for name, en_ctx, cy_ctx in cases:
        en, cy = renderer.render(name, en_ctx, "en"), renderer.render(name, cy_ctx, "cy")
        for part in ("subject", "text", "html"):
            left = english_left(getattr(en, part), getattr(cy, part), cy_ctx)
            assert not left, f"{name} {part} ({en_ctx.get('purpose', '')}): {left}"
        assert '<html lang="cy">' in cy.html and '<html lang="en">' in en.html


def test_a_welsh_email_keeps_the_school_s_own_words() -> None:
    # A school's own sign-off and copy are its words, in whichever language it wrote them.
    step = BUILTIN_PLANS["whole-school-inset"].steps[2]
    branding = Branding(
        sign_off="Cofion cynnes,",
        copy_overrides={step.kind: CopyOverride(headline="Sut hwyl sydd arni?")},
    )
    context = step_email_context(
        step,
        "initial",
        LINKS,
        "",
        branding,
        teacher_name="Gwen",
        event_title="Dysgu",
        school_name="Ysgol",
        language="cy",
    )
    email = EmailRenderer().render("step", context, "cy")
    assert email.subject == "Sut hwyl sydd arni? (Dysgu)"
    assert "Cofion cynnes," in email.text and "Diolch yn fawr," not in email.text
    assert "Annwyl Gwen," in email.text
    assert "Ydych chi wedi'i ddefnyddio o leiaf ddwywaith gyda'r un dosbarth?" in email.text


@dataclass
class _Event:
    title: str = "Dysgu gweithredol"


@dataclass
class _Person:
    name: str = "Gwen Price"
    id: str = "p1"


@dataclass
class _Receipt:
    duplicate: bool
    late: bool


def page_cases(lang: str) -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    event, person = _Event(), _Person()
    kinds: dict[StepKind, Step] = {}
    for step in builtin_steps():
        kinds.setdefault(step.kind, step)
    for step in builtin_steps():
        choices = choices_for(step.kind)
        for chosen in ("", *choices[:1]):
            cases.append(
                (
                    "answer.html",
                    {
                        "event": event,
                        "person": person,
                        "step": step,
                        "headline": headline_for(step.kind, lang),
                        "plan_fields": ACTION_PLAN_FIELDS.items()
                        if step.kind is StepKind.ACTION_PLAN
                        else [],
                        "choices": [(c, choice_label(c, step.kind, lang)) for c in choices],
                        "chosen": chosen,
                        "said": "",
                        "max_mb": 10,
                    },
                )
            )
    for duplicate, late, choice in product((False, True), (False, True), ("", "tried_twice")):
        cases.append(
            (
                "recorded.html",
                {
                    "event": event,
                    "step": kinds[StepKind.PRACTICE_CHECKIN],
                    "receipt": _Receipt(duplicate, late),
                    "choice_label": choice_label(choice, None, lang) if choice else "",
                },
            )
        )
    cases.append(("support_check.html", {"event": event, "choices": SUPPORT_CHECK_CHOICES}))
    for first, helped, told in product((False, True), repeat=3):
        cases.append(
            (
                "support_check.html",
                {"event": event, "done": True, "first": first, "helped": helped, "lead_told": told},
            )
        )
    for message in (*REASONS.values(), ENDED, TRY_AGAIN, REPLACED, EXPIRED):
        for fresh in (False, True):
            cases.append(("problem.html", {"message": message, "fresh_link": fresh}))
    cases.append(("not_confirmed.html", {"message": NOT_CONFIRMED, "again": "/a/token"}))
    cases.append(("manage.html", {"event": event, "person": person}))
    for action in ("pause", "resume", "opt_out"):
        cases.append(("managed.html", {"event": event, "action": action}))
    cases += [("fresh_link.html", {}), ("fresh_link.html", {"sent": True})]
    answered = kinds[StepKind.PRACTICE_CHECKIN]
    waiting = kinds[StepKind.IMPACT_CHECK]
    for added, several in product((False, True), repeat=2):
        events: list[dict[str, Any]] = [
            {
                "participant_id": "p1",
                "event": {"title": "Dysgu gweithredol", "date": "2026-09-01"},
                "waiting": {"question": waiting.prompt, "link": "/a/TOKEN"},
                "answers": [
                    {
                        "headline": "How is it going?",
                        "answer": choice_label("tried_once", answered.kind),
                        "text": "gyda 8B",
                        "late": True,
                    }
                ],
                "evidence": [{"id": "e1", "note": "llun", "link": "", "filename": "llun.jpg"}],
            }
        ]
        if several:
            events.append(
                {
                    "participant_id": "p2",
                    "event": {"title": "Asesu", "date": "2027-01-05"},
                    "waiting": None,
                    "answers": [],
                    "evidence": [],
                }
            )
        cases.append(
            (
                "portfolio.html",
                {
                    "person": person,
                    "events": events,
                    "token": "TOKEN",
                    "added": added,
                    "max_mb": 10,
                },
            )
        )
    return cases


def test_every_teacher_page_reads_in_welsh() -> None:
    envs = {lang: page_environment(lang) for lang in ("en", "cy")}
    en_cases, cy_cases = page_cases("en"), page_cases("cy")
    assert {name for name, _ in cy_cases} == set(TEACHER_PAGES)
    for (name, en_ctx), (_, cy_ctx) in zip(en_cases, cy_cases, strict=True):
        en = envs["en"].get_template(name).render(en_ctx)
        cy = envs["cy"].get_template(name).render(cy_ctx)
        left = english_left(en, cy, cy_ctx)
        assert not left, f"{name} {sorted(cy_ctx)}: {left}"
        assert '<html lang="cy">' in cy and '<html lang="en">' in en


def test_dates_on_welsh_pages_are_in_welsh() -> None:
    assert format_day(date(2026, 9, 1), "cy") == "1 Medi 2026"
    assert format_day(date(2027, 1, 5), "en") == "5 January 2027"
    name, context = page_cases("cy")[-1]
    rendered = page_environment("cy").get_template(name).render(context)
    assert "(1 Medi 2026)" in rendered and "(5 Ionawr 2027)" in rendered


def _all_templates() -> set[str]:
    found = {f"emails/{p.name}" for p in Path(EMAILS_DIR).iterdir() if p.is_file()}
    found |= {
        f"pages/{p.relative_to(PAGES_DIR)}"
        for p in Path(PAGES_DIR).rglob("*")
        if p.is_file() and "dashboard" not in p.parts  # leaders' pages, all of them
    }
    return found


@pytest.mark.parametrize("template", sorted(_all_templates()))
def test_every_template_is_known_as_a_teacher_s_or_not(template: str) -> None:
    name = template.split("/", 1)[1]
    stem = name.split(".")[0]
    known = (
        template in PARTIALS
        or template in NOT_FOR_TEACHERS
        or (template.startswith("emails/") and stem in {*TEACHER_EMAILS, *NOT_FOR_TEACHERS})
        or (template.startswith("pages/") and name in TEACHER_PAGES)
    )
    assert known, f"{template}: list it in tests/emails/test_welsh.py as a teacher's or not"


def test_an_unknown_language_reads_english() -> None:
    rendered = EmailRenderer().render(
        "portfolio_link", {"link": "x", "school_name": "", "by_lead": False}, "fr"
    )
    assert rendered.subject == "Your CPD portfolio"
