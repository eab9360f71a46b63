"""Render an email from templates: pure, no I/O beyond reading templates.

Autoescape is on for HTML and StrictUndefined everywhere, so a missing
variable fails a test instead of reaching a teacher as a blank. Each language has
its own environment, with jinja2's i18n extension bound to its catalogue
(cpd/i18n.py); leaders' emails are English and simply have nothing to translate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cpd.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_day, translations

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def email_environment(language: str, templates_dir: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    t = translations(language)
    env.install_gettext_callables(t.gettext, t.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.filters["day"] = lambda d: format_day(d, language)
    return env


class EmailRenderer:
    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._envs: dict[str, Environment] = {
            lang: email_environment(lang, templates_dir) for lang in LANGUAGES
        }

    def render(
        self, template: str, context: dict[str, Any], language: str = DEFAULT_LANGUAGE
    ) -> RenderedEmail:
        env = self._envs.get(language, self._envs[DEFAULT_LANGUAGE])
        # A subject is one line: a newline in it would start a new header.
        subject = " ".join(env.get_template(f"{template}.subject.txt").render(context).split())
        context = {**context, "subject": subject}
        return RenderedEmail(
            subject=subject,
            text=env.get_template(f"{template}.txt").render(context),
            html=env.get_template(f"{template}.html").render(context),
        )
