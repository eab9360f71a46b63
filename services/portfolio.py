"""A teacher's own portfolio: every plan, answer and piece of evidence, across events.

Reached from a signed link in every email (no login). It lists what the teacher
wrote at this school, takes evidence at any time, and exports everything as a ZIP.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from cpd.db import Db
from cpd.models import Answer, Event, Evidence, Participant
from cpd.security import LinkError, LinkSigner
from cpd.settings import Settings
from emails.content import HEADLINES, choice_label
from services.errors import NotFound
from services.evidence import Upload, evidence_store, take_evidence


async def owner(db: Db, signer: LinkSigner, token: str) -> Participant:
    claims = signer.verify(token, "portfolio")
    person = await db.get(Participant, claims.participant_id)
    if person is None:
        raise LinkError("This portfolio no longer exists.")
    return person


async def portfolio(db: Db, person: Participant) -> list[dict[str, Any]]:
    """The teacher's events at this school, each with its answers and evidence."""
    mine = (
        await db.exec(
            select(Participant).where(
                Participant.school_id == person.school_id,
                func.lower(Participant.email) == person.email.lower(),
            )
        )
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


async def add_evidence(
    settings: Settings,
    db: Db,
    person: Participant,
    participant_id: str,
    note: str,
    link: str,
    upload: Upload | None,
) -> None:
    """Evidence for any of the teacher's own events (``participant_id``), never another's."""
    target = participant_id or person.id
    if target not in {e["participant_id"] for e in await portfolio(db, person)}:
        raise NotFound("That event is not one of yours.")
    event_owner = await db.get(Participant, target)
    assert event_owner is not None
    take_evidence(settings, db, event_owner, "", note, link, upload)
    await db.commit()


async def evidence_file(
    settings: Settings, db: Db, person: Participant, evidence_id: str
) -> tuple[Path, Evidence]:
    """Where one of the teacher's own files is kept, and its record."""
    item = await db.get(Evidence, evidence_id)
    owners = {e["participant_id"] for e in await portfolio(db, person)}
    if item is None or item.participant_id not in owners or not item.filename:
        raise NotFound("No such file.")
    return evidence_store(settings).path(item.school_id, item.id), item


async def export_zip(settings: Settings, db: Db, person: Participant) -> bytes:
    """Everything as a ZIP: portfolio.json plus the evidence files."""
    events = await portfolio(db, person)
    store = evidence_store(settings)
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
    return buffer.getvalue()
