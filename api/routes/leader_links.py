"""A CPD lead's links from their emails: no more weekly summaries, a level 3 answer.

Each is authorised by the unguessable signed token in its path, like a teacher's
links (api/routes/answers.py): no session, so no CSRF token either. The digest's POST
is also a mail client's RFC 8058 one-click, which could carry none.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from api.deps import DbDep, LinkPagesLimit, ResourcesDep
from api.pages import page, problem
from emails.content import LEVEL3_LABELS
from services import digest, leader_checks

router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, dependencies=[LinkPagesLimit]
)


@router.get("/digest/{token}", response_class=HTMLResponse)
async def digest_off_page(token: str, request: Request, res: ResourcesDep) -> HTMLResponse:
    res.signer.verify(token, "digest")  # a bad link is a clear page (api/errors.py)
    return page(request, "dashboard/digest_off.html", token=token)


@router.post("/digest/{token}", response_class=HTMLResponse)
async def digest_off(token: str, request: Request, res: ResourcesDep, db: DbDep) -> HTMLResponse:
    """No more weekly summaries for this CPD lead (a mail client's one-click too)."""
    await digest.switch_off(db, res.signer, token)
    return page(request, "dashboard/digest_off.html", done=True)


@router.get("/level3/{token}", response_class=HTMLResponse)
async def level3_page(
    token: str, request: Request, res: ResourcesDep, db: DbDep, rating: str = ""
) -> HTMLResponse:
    """A CPD lead's level 3 question (services/leader_checks.py): a GET changes nothing."""
    asked = await leader_checks.asked(db, res.signer, token)
    return page(
        request,
        "dashboard/level3.html",
        question=leader_checks.question_for(asked.event.title),
        choices=list(LEVEL3_LABELS.items()),
        chosen=rating if rating in LEVEL3_LABELS else "",
    )


@router.post("/level3/{token}", response_class=HTMLResponse)
async def level3_answer(
    token: str,
    request: Request,
    res: ResourcesDep,
    db: DbDep,
    rating: Annotated[str, Form(max_length=1)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
) -> HTMLResponse:
    asked = await leader_checks.asked(db, res.signer, token)
    if rating not in LEVEL3_LABELS:
        return problem(request, "Please choose a number from 1 to 5.", 422)
    first = await leader_checks.answer(db, asked.check, rating, text)
    return page(
        request,
        "dashboard/level3.html",
        done=True,
        first=first,
        event=asked.event,
        chosen_label=LEVEL3_LABELS[rating],
    )
