"""A teacher's own portfolio: every plan, answer and piece of evidence, across events.

Reached from a signed link in every email (no login). It lists what the
teacher wrote and shared at this school, lets them add evidence at any time,
and exports everything as a ZIP. Files are only ever served as downloads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.deps import DbDep, LinkPagesLimit, ResourcesDep
from api.forms import read_upload
from api.pages import page, problem
from services import links, portfolio
from services.errors import NotFound
from services.evidence import NOTE_MAX_CHARS

# Authorised by the signed token in the path, as the answer links are (api/routes/answers.py).
router = APIRouter(tags=["teacher links"], include_in_schema=False, dependencies=[LinkPagesLimit])


@router.get("/p", response_class=HTMLResponse)
async def fresh_link_page(request: Request, lang: str = "en") -> HTMLResponse:
    # ``lang=cy``: reached from a Welsh page; nobody is known here yet to ask.
    return page(request, "fresh_link.html", language=lang)


@router.post("/p", response_class=HTMLResponse)
async def fresh_link(
    request: Request,
    db: DbDep,
    res: ResourcesDep,
    email: Annotated[str, Form(max_length=320)],
    lang: Annotated[str, Form(max_length=8)] = "en",
) -> HTMLResponse:
    """A fresh portfolio link by email; earlier links stop working."""
    await res.fresh_links.send(db, res.mailer, res.settings, res.signer, email)
    # The same answer either way: the page never says who is known here.
    return page(request, "fresh_link.html", language=lang, sent=True)


@router.get("/p/{token}", response_class=HTMLResponse)
async def portfolio_page(
    token: str, request: Request, db: DbDep, res: ResourcesDep
) -> HTMLResponse:
    owner = await portfolio.owner(db, res.signer, token)
    return await _show(request, db, res, owner, token)


async def _show(
    request: Request,
    db: DbDep,
    res: ResourcesDep,
    owner: portfolio.Owner,
    token: str,
    added: bool = False,
) -> HTMLResponse:
    return page(
        request,
        "portfolio.html",
        language=await links.language(db, owner.person),
        person=owner.person,
        events=await portfolio.portfolio(db, owner, res.signer),
        token=token,
        added=added,
        max_mb=res.settings.evidence_max_bytes // (1024 * 1024),
    )


@router.post("/p/{token}/evidence", response_class=HTMLResponse)
async def add_evidence(
    token: str,
    request: Request,
    db: DbDep,
    res: ResourcesDep,
    participant_id: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=NOTE_MAX_CHARS)] = "",
    link: Annotated[str, Form(max_length=2000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    owner = await portfolio.owner(db, res.signer, token)
    upload = await read_upload(file, res.settings.evidence_max_bytes)
    try:
        await portfolio.add_evidence(res.settings, db, owner, participant_id, note, link, upload)
    except NotFound as exc:
        return problem(request, exc.detail, 404, language=await links.language(db, owner.person))
    return await _show(request, db, res, owner, token, added=True)


@router.get("/p/{token}/evidence/{evidence_id}", response_model=None)
async def download_evidence(
    token: str, evidence_id: str, request: Request, db: DbDep, res: ResourcesDep
) -> Response:
    owner = await portfolio.owner(db, res.signer, token)
    try:
        path, item = await portfolio.evidence_file(res.settings, db, owner, evidence_id)
    except NotFound as exc:
        return problem(request, exc.detail, 404)
    return FileResponse(
        path,
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type="attachment",
        # Never rendered by the browser, whatever the file claims to be.
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


@router.get("/p/{token}/export", response_model=None)
async def export(token: str, db: DbDep, res: ResourcesDep) -> Response:
    """Everything as a ZIP: portfolio.json plus the evidence files."""
    owner = await portfolio.owner(db, res.signer, token)
    return Response(
        await portfolio.export_zip(res.settings, db, owner, res.signer),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="cpd-portfolio.zip"'},
    )
