"""The dev mailbox: what the embedded SMTP server received. Development only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.deps import ResourcesDep
from api.headers import PAGE_POLICY
from api.pages import page
from devtools.mailbox import MaildirStore
from services.errors import NotFound

router = APIRouter(prefix="/dev/mailbox", tags=["dev"], include_in_schema=False)


def _store(res: ResourcesDep) -> MaildirStore:
    if res.settings.dev_mailbox_dir is None:
        raise NotFound("The dev mailbox is off (set CPD_DEV_MAILBOX_DIR).")
    return MaildirStore(res.settings.dev_mailbox_dir)


@router.get("", response_class=HTMLResponse)
async def mailbox_list(request: Request, res: ResourcesDep) -> HTMLResponse:
    messages = _store(res).list()
    return page(request, "mailbox.html", messages=messages)


class MailboxItem(BaseModel):
    key: str
    to: str
    subject: str
    date: str
    links: list[str]


@router.get(".json")
async def mailbox_json(res: ResourcesDep, to: str = "") -> list[MailboxItem]:
    """The same list for scripts and the README's curl walk-through (newest first)."""
    return [
        MailboxItem(key=m.key, to=m.to, subject=m.subject, date=m.date, links=m.links)
        for m in _store(res).list()
        if to.lower() in m.to.lower()
    ]


@router.get("/{key}", response_class=HTMLResponse)
async def mailbox_message(key: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    message = _store(res).get(key)
    if message is None:
        raise NotFound("No such message.")
    response = page(request, "mailbox_message.html", m=message)
    # The email shown in its frame inherits this page's policy: let it show its images (a
    # school's logo) as a mail client would. Still no script, and development only.
    response.headers["Content-Security-Policy"] = PAGE_POLICY.replace(
        "img-src 'self'", "img-src 'self' https: data:"
    )
    return response
