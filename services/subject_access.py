"""A data-protection (subject access) request: everything held about one teacher, as a ZIP.

For the teacher themself, so nothing is redacted: private reflections are in it. The
school finds the teacher by address across its own events (never another school's).
The ZIP holds data.json, the evidence files, and README.txt saying what is in each.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, func, select
from temporalio.client import Client

from cpd.db import Db
from cpd.models import (
    Answer,
    EmailSend,
    Event,
    Evidence,
    HelpRequest,
    Participant,
    UnclearReply,
)
from cpd.settings import Settings
from services.errors import NotFound
from services.evidence import evidence_store
from services.manage import step_title
from services.participants import live_timeline
from workflows.types import Timeline

README = """\
Everything {school} holds about {email}, as of {now} (UTC)

data.json
  follow_throughs: one entry per CPD event this address was part of, each with
    - the event (title, date, plan) and the teacher's record in it (name, address,
      stage, step, flags);
    - answers: every answer, word for word, including reflections kept private
      ("shared_with_lead": false means the school's staff could not read its words);
    - evidence: notes and links, and the file name of each uploaded file;
    - emails: every email sent about it (subject, address, date, status);
    - help_requests: requests for support and what became of them;
    - unclear_replies: email replies that could not be matched to a question;
    - timeline: the follow-through's live state (each step: when it was due, sent,
      answered; what comes next), or null if it could not be read just now.
evidence/
  The uploaded evidence files, named <id>-<original name>.

This export was made for a data-protection (subject access) request. It is meant for
the teacher it is about: keep it as private as their own notes.
"""


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def subject_access(
    client: Client, db: Db, settings: Settings, school_id: str, school_name: str, email: str
) -> tuple[str, bytes]:
    """(a file name, the ZIP) for the teacher with this address at this school."""
    people = (
        await db.exec(
            select(Participant)
            .where(
                Participant.school_id == school_id,
                func.lower(Participant.email) == email.strip().lower(),
            )
            .order_by(col(Participant.id))
        )
    ).all()
    if not people:
        raise NotFound("Nobody with that address is in any of the school's events.")
    store = evidence_store(settings)
    files: list[tuple[str, str]] = []  # (path on disk, name in the ZIP)
    entries = [await _entry(client, db, p, files) for p in people]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt", README.format(school=school_name, email=people[0].email, now=now)
        )
        data = {"email": people[0].email, "school": school_name, "follow_throughs": entries}
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for school_file, name in files:
            path = store.path(school_id, school_file)
            if path.exists():
                archive.write(path, name)
    return "subject-access.zip", buffer.getvalue()


async def _entry(
    client: Client, db: Db, p: Participant, files: list[tuple[str, str]]
) -> dict[str, Any]:
    event = await db.get(Event, p.event_id)
    plan = event.plan if event else None

    def title(step_id: str | None) -> str:
        return step_title(plan, step_id) if plan else step_id or ""

    def mine(model: Any, when: Any) -> Any:
        return select(model).where(model.participant_id == p.id).order_by(col(when))

    answers = (await db.exec(mine(Answer, Answer.answered_at))).all()
    evidence = (await db.exec(mine(Evidence, Evidence.created_at))).all()
    emails = (await db.exec(mine(EmailSend, EmailSend.created_at))).all()
    helps = (await db.exec(mine(HelpRequest, HelpRequest.created_at))).all()
    unclear = (await db.exec(mine(UnclearReply, UnclearReply.received_at))).all()
    for e in evidence:
        if e.filename:
            files.append((e.id, f"evidence/{e.id}-{e.filename}"))
    timeline = await live_timeline(client, p)
    return {
        "event": {
            "title": event.title if event else "",
            "date": event.event_date.isoformat() if event else None,
            "plan": plan.name if plan else "",
            "cancelled_at": _when(event.cancelled_at) if event else None,
        },
        "record": {
            "name": p.name,
            "email": p.email,
            "stage": p.stage,
            "current_step": title(p.current_step_id),
            "next_due_at": _when(p.next_due_at),
            "paused": p.paused,
            "needs_help": p.needs_help,
            "email_bounced": p.email_bounced,
            "missed_steps": p.missed_count,
        },
        "answers": [
            {
                "step": title(a.step_id),
                "choice": a.choice,
                "text": a.text,
                "fields": json.loads(a.fields_json or "{}"),
                "late": a.late,
                "shared_with_lead": a.shared,
                "answered_at": _when(a.answered_at),
            }
            for a in answers
        ],
        "evidence": [
            {
                "step": title(e.step_id) if e.step_id else "",
                "note": e.note,
                "link": e.link,
                "file": f"evidence/{e.id}-{e.filename}" if e.filename else "",
                "content_type": e.content_type,
                "size": e.size,
                "added_at": _when(e.created_at),
            }
            for e in evidence
        ],
        "emails": [
            {
                "subject": m.subject,
                "to": m.to_addr,
                "step": title(m.step_id),
                "purpose": m.purpose,
                "status": m.status,
                "sent_at": _when(m.sent_at or m.created_at),
            }
            for m in emails
        ],
        "help_requests": [
            {
                "step": title(h.step_id),
                "text": h.text,
                "status": h.status,
                "asked_at": _when(h.created_at),
                "supported_at": _when(h.supported_at),
                "helped": h.helped,
            }
            for h in helps
        ],
        "unclear_replies": [
            {"step": title(u.step_id), "text": u.text, "received_at": _when(u.received_at)}
            for u in unclear
        ],
        "timeline": _timeline(timeline, title) if timeline else None,
    }


def _timeline(timeline: Timeline, title: Callable[[str | None], str]) -> dict[str, Any]:
    out: dict[str, Any] = timeline.model_dump(mode="json")
    for step in out["steps"]:
        step["title"] = title(step["step_id"])
    out["next_step"] = title(timeline.next_step_id)
    return out


async def held_about(db: Db, school_id: str, email: str) -> list[tuple[Participant, Event]]:
    """The teacher's follow-throughs at this school, found by address (any case)."""
    rows = await db.exec(
        select(Participant, Event)
        .join(Event, col(Event.id) == col(Participant.event_id))
        .where(
            Participant.school_id == school_id,
            func.lower(Participant.email) == email.strip().lower(),
        )
        .order_by(col(Event.event_date))
    )
    return [(p, e) for p, e in rows.all()]
