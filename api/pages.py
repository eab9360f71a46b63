"""The HTML pages' one way to answer: a template, or a problem page that says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates


def _csrf(request: Request) -> dict[str, Any]:
    # A signed-in page's forms carry its session's token (api/deps.py, api/csrf.py); the
    # sign-in pages pass their own.
    csrf = getattr(request.state, "csrf", None)
    return {"csrf": csrf} if csrf else {}


TEMPLATES = Jinja2Templates(
    directory=Path(__file__).parent / "templates", context_processors=[_csrf]
)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def problem(request: Request, message: str, status: int, **context: Any) -> HTMLResponse:
    """A clear page for a teacher or leader: what went wrong; nothing was changed."""
    return page(request, "problem.html", status=status, message=message, **context)
