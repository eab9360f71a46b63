"""A teacher's own portfolio: every plan, answer and piece of evidence, across events.

Reached from a signed link in every email (no login). It lists what the
teacher wrote and shared at this school, lets them add evidence at any time,
and exports everything as a ZIP. Files are only ever served as downloads.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import Resources, ResourcesDep, SessionDep
from api.routes.answers import page, problem
from cpd.models import Answer, Event, Evidence, Participant
from cpd.plans import Plan
from cpd.security import LinkError
from emails.content import HEADLINES, choice_label
from services.evidence import evidence_store, take_evidence

router = APIRouter(tags=["teacher links"], include_in_schema=False)


async def _owner(res: Resources, session: AsyncSession, token: str) -> Participant:
    claims = res.signer.verify(token, "portfolio")
    person = await session.get(Participant, claims.participant_id)
    if person is None:
        raise LinkError("This portfolio no longer exists.")
    return person


async def _portfolio(session: AsyncSession, person: Participant) -> list[dict[str, Any]]:
    """The teacher's events at this school, each with its answers and evidence."""
    mine = (
        await session.exec(
            select(Participant).where(
                Participant.school_id == person.school_id,
                func.lower(Participant.email) == person.email.lower(),
            )
        )
    ).all()
    ids = [p.id for p in mine]
    answers = (await session.exec(select(Answer).where(col(Answer.participant_id).in_(ids)))).all()
    evidence = (
        await session.exec(
            select(Evidence)
            .where(col(Evidence.participant_id).in_(ids))
            .order_by(col(Evidence.created_at))
        )
    ).all()
    out = []
    for p in mine:
        event = await session.get(Event, p.event_id)
        if event is None:
            continue
        plan = Plan.model_validate_json(event.plan_json)
        steps = {s.id: s for s in plan.steps}
        out.append(
            {
                "participant_id": p.id,
                "event": {"title": event.title, "date": event.event_date.isoformat()},
                "answers": [
                    {
                        "step_id": a.step_id,
                        "question": steps[a.step_id].prompt if a.step_id in steps else a.step_id,
                        "headline": HEADLINES[steps[a.step_id].kind] if a.step_id in steps else "",
                        "answer": choice_label(a.choice) if a.choice else "",
                        "text": a.text,
                        "late": a.late,
                        "answered_at": a.answered_at.isoformat(),
                    }
                    for a in sorted(answers, key=lambda a: a.answered_at)
                    if a.participant_id == p.id
                ],
                "evidence": [
                    {
                        "id": e.id,
                        "note": e.note,
                        "link": e.link,
                        "filename": e.filename,
                        "size": e.size,
                        "added_at": e.created_at.isoformat(),
                    }
                    for e in evidence
                    if e.participant_id == p.id
                ],
            }
        )
    return out


@router.get("/p/{token}", response_class=HTMLResponse)
async def portfolio_page(
    token: str, request: Request, session: SessionDep, res: ResourcesDep
) -> HTMLResponse:
    person = await _owner(res, session, token)
    return await _show(res, request, session, person, token)


async def _show(
    res: Resources,
    request: Request,
    session: AsyncSession,
    person: Participant,
    token: str,
    added: bool = False,
) -> HTMLResponse:
    return page(
        res,
        request,
        "portfolio.html",
        person=person,
        events=await _portfolio(session, person),
        token=token,
        added=added,
        max_mb=res.settings.evidence_max_bytes // (1024 * 1024),
    )


@router.post("/p/{token}/evidence", response_class=HTMLResponse)
async def add_evidence(
    token: str,
    request: Request,
    session: SessionDep,
    res: ResourcesDep,
    participant_id: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    link: Annotated[str, Form(max_length=2000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    person = await _owner(res, session, token)
    # Evidence may go to any of the teacher's own events, never to someone else's.
    events = await _portfolio(session, person)
    target = participant_id or person.id
    if target not in {e["participant_id"] for e in events}:
        return problem(res, request, "That event is not one of yours.", 404)
    owner = await session.get(Participant, target)
    assert owner is not None
    await take_evidence(res.settings, session, owner, "", note, link, file)
    await session.commit()
    return await _show(res, request, session, person, token, added=True)


@router.get("/p/{token}/evidence/{evidence_id}", response_model=None)
async def download_evidence(
    token: str, evidence_id: str, request: Request, session: SessionDep, res: ResourcesDep
) -> Response:
    person = await _owner(res, session, token)
    item = await session.get(Evidence, evidence_id)
    owners = {e["participant_id"] for e in await _portfolio(session, person)}
    if item is None or item.participant_id not in owners or not item.filename:
        return problem(res, request, "No such file.", 404)
    return FileResponse(
        evidence_store(res.settings).path(item.school_id, item.id),
        media_type=item.content_type,
        filename=item.filename,
        content_disposition_type="attachment",
        # Never rendered by the browser, whatever the file claims to be.
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


@router.get("/p/{token}/export", response_model=None)
async def export(token: str, request: Request, session: SessionDep, res: ResourcesDep) -> Response:
    """Everything as a ZIP: portfolio.json plus the evidence files."""
    person = await _owner(res, session, token)
    events = await _portfolio(session, person)
    store = evidence_store(res.settings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "portfolio.json", json.dumps({"name": person.name, "events": events}, indent=2)
        )
        for event in events:
            for item in event["evidence"]:
                if item["filename"]:
                    path = store.path(person.school_id, item["id"])
                    if path.exists():
                        archive.write(path, f"evidence/{item['id'][:8]}-{item['filename']}")
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="cpd-portfolio.zip"'},
    )
