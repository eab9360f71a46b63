"""A teacher's own portfolio: every plan, answer and piece of evidence, across events.

Reached from a signed link in every email (no login). It lists what the teacher
wrote in the follow-throughs the link was signed for, takes evidence at any time,
and exports everything as a ZIP.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from cpd.db import Db
from cpd.models import Answer, Event, Evidence, Participant
from cpd.security import LinkSigner
from cpd.settings import Settings
from emails.content import HEADLINES, choice_label
from services import links
from services.errors import NotFound
from services.evidence import Upload, evidence_store, take_evidence


@dataclass(frozen=True)
class Owner:
    """The teacher a portfolio link is for, and the follow-throughs it covers (each at the
    link version it was signed with, so a question still open can be linked afresh)."""

    person: Participant
    covers: dict[str, int]


async def owner(db: Db, signer: LinkSigner, token: str) -> Owner:
    claims = await links.verified(db, signer, token, "portfolio")
    person = await links.holder(db, claims)
    return Owner(person, await links.covered(db, claims))


async def portfolio(db: Db, owner: Owner, signer: LinkSigner) -> list[dict[str, Any]]:
    """The teacher's events the link covers, each with its answers, its evidence and the
    question waiting for an answer, if there is one."""
    mine = (
        await db.exec(select(Participant).where(col(Participant.id).in_(list(owner.covers))))
    ).all()
    ids = [p.id for p in mine]
    answers = (await db.exec(select(Answer).where(col(Answer.participant_id).in_(ids)))).all()
    evidence = (
        await db.exec(
            select(Evidence)
            .where(col(Evidence.participant_id).in_(ids))
            .order_by(col(Evidence.created_at))
        )
    ).all()
    out = []
    for p in mine:
        event = await db.get(Event, p.event_id)
        if event is None:
            continue
        steps = {s.id: s for s in event.plan.steps}
        waiting = steps.get(p.current_step_id or "") if p.stage == "awaiting_answer" else None
        out.append(
            {
                "participant_id": p.id,
                "event": {"title": event.title, "date": event.event_date.isoformat()},
                "waiting": {
                    "question": waiting.prompt or HEADLINES[waiting.kind],
                    "link": "/a/" + signer.sign(p.id, waiting.id, "answer", owner.covers[p.id]),
                }
                if waiting is not None
                else None,
                "answers": [
                    {
                        "step_id": a.step_id,
                        "question": steps[a.step_id].prompt if a.step_id in steps else a.step_id,
                        "headline": HEADLINES[steps[a.step_id].kind] if a.step_id in steps else "",
                        "answer": choice_label(
                            a.choice, steps[a.step_id].kind if a.step_id in steps else None
                        )
                        if a.choice
                        else "",
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


async def add_evidence(
    settings: Settings,
    db: Db,
    owner: Owner,
    participant_id: str,
    note: str,
    link: str,
    upload: Upload | None,
) -> None:
    """Evidence for any of the teacher's own events (``participant_id``), never another's."""
    target = participant_id or owner.person.id
    if target not in owner.covers:
        raise NotFound("That event is not one of yours.")
    event_owner = await db.get(Participant, target)
    assert event_owner is not None
    take_evidence(settings, db, event_owner, "", note, link, upload)
    await db.commit()


async def evidence_file(
    settings: Settings, db: Db, owner: Owner, evidence_id: str
) -> tuple[Path, Evidence]:
    """Where one of the teacher's own files is kept, and its record."""
    item = await db.get(Evidence, evidence_id)
    if item is None or item.participant_id not in owner.covers or not item.filename:
        raise NotFound("No such file.")
    return evidence_store(settings).path(item.school_id, item.id), item


async def export_zip(settings: Settings, db: Db, owner: Owner, signer: LinkSigner) -> bytes:
    """Everything as a ZIP: portfolio.json plus the evidence files."""
    person = owner.person
    events = await portfolio(db, owner, signer)
    store = evidence_store(settings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # Without the open question's live link: the file outlives it.
        kept = [{k: v for k, v in event.items() if k != "waiting"} for event in events]
        archive.writestr(
            "portfolio.json", json.dumps({"name": person.name, "events": kept}, indent=2)
        )
        for event in events:
            for item in event["evidence"]:
                if item["filename"]:
                    path = store.path(person.school_id, item["id"])
                    if path.exists():
                        archive.write(path, f"evidence/{item['id'][:8]}-{item['filename']}")
    return buffer.getvalue()
