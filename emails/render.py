"""Render an email from templates: pure, no I/O beyond reading templates.

Autoescape is on for HTML and StrictUndefined everywhere, so a missing
variable fails a test instead of reaching a teacher as a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, template: str, context: dict[str, Any]) -> RenderedEmail:
        # A subject is one line: a newline in it would start a new header.
        subject = " ".join(
            self._env.get_template(f"{template}.subject.txt").render(context).split()
        )
        context = {**context, "subject": subject}
        return RenderedEmail(
            subject=subject,
            text=self._env.get_template(f"{template}.txt").render(context),
            html=self._env.get_template(f"{template}.html").render(context),
        )
