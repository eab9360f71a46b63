"""The HTML pages' one way to answer: a template, or a problem page that says why.

Teachers' pages come in their language (cpd/i18n.py): one template environment per
language, with jinja2's i18n extension bound to its catalogue. ``{% trans %}`` and
``_("...")`` are for the templates' own words; ``|tr`` translates a value that may be
one of ours (a step's built-in question, a choice, a reason) and is escaped like any
other value, since a school's own wording passes through it unchanged.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from cpd.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_day, translations

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _csrf(request: Request) -> dict[str, Any]:
    # A signed-in page's forms carry its session's token (api/deps.py, api/csrf.py); the
    # sign-in pages pass their own.
    csrf = getattr(request.state, "csrf", None)
    return {"csrf": csrf} if csrf else {}


def _day(value: date | str, language: str) -> str:
    return format_day(date.fromisoformat(value) if isinstance(value, str) else value, language)


def page_environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    t = translations(language)
    env.install_gettext_callables(t.gettext, t.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.filters["tr"] = t.gettext
    env.filters["day"] = lambda value: _day(value, language)
    return env


_TEMPLATES: dict[str, Jinja2Templates] = {
    lang: Jinja2Templates(env=page_environment(lang), context_processors=[_csrf])
    for lang in LANGUAGES
}
TEMPLATES = _TEMPLATES[DEFAULT_LANGUAGE]


def page(
    request: Request,
    name: str,
    status: int = 200,
    language: str = DEFAULT_LANGUAGE,
    **context: Any,
) -> HTMLResponse:
    templates = _TEMPLATES.get(language, TEMPLATES)
    return templates.TemplateResponse(request, name, context, status_code=status)


def problem(
    request: Request, message: str, status: int, language: str = DEFAULT_LANGUAGE, **context: Any
) -> HTMLResponse:
    """A clear page for a teacher or leader: what went wrong; nothing was changed."""
    return page(
        request, "problem.html", status=status, language=language, message=message, **context
    )
