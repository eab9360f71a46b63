"""Taking a teacher's evidence: a note, a link and/or a file.

Shared by the answer page (evidence steps) and the portfolio (evidence at
any time). A refused file changes nothing: no row, no file on disk.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

from cpd.db import Db
from cpd.evidence import EvidenceRejected, EvidenceStore
from cpd.models import Evidence, Participant
from cpd.settings import Settings


@dataclass(frozen=True)
class Upload:
    """A file as the form sent it: read one byte past the limit, to know it is too big."""

    filename: str
    data: bytes


def evidence_store(settings: Settings) -> EvidenceStore:
    return EvidenceStore(settings.resolved_evidence_dir, settings.evidence_max_bytes)


# Evidence.note's column: PostgreSQL holds a longer note to it (SQLite would keep it all),
# and an evidence step's answer box takes more than this.
NOTE_MAX_CHARS = 2000


def checked_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise EvidenceRejected(
            f"A note can be up to {NOTE_MAX_CHARS} characters; this one has {len(note)}."
            " Shorten it, or add the rest as a file or a link."
        )
    return note


def checked_link(link: str) -> str:
    link = link.strip()
    if not link:
        return ""
    parsed = urlparse(link)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise EvidenceRejected("A link must start with https:// (or http://).")
    return link


def take_evidence(
    settings: Settings,
    db: Db,
    person: Participant,
    step_id: str,
    note: str,
    link: str,
    upload: Upload | None,
) -> Evidence:
    """Store what was sent and add its row to ``db`` (committed by the caller)."""
    note, link = checked_note(note), checked_link(link)
    evidence = Evidence(
        id="",
        school_id=person.school_id,
        participant_id=person.id,
        step_id=step_id,
        note=note,
        link=link,
    )
    if upload is not None:
        stored = evidence_store(settings).save(person.school_id, upload.filename, upload.data)
        evidence.id = stored.id
        evidence.filename, evidence.content_type, evidence.size = (
            stored.filename,
            stored.content_type,
            stored.size,
        )
    if not (evidence.note or evidence.link or evidence.filename):
        raise EvidenceRejected("Add a note, a link or a file.")
    evidence.id = evidence.id or uuid.uuid4().hex
    db.add(evidence)
    return evidence


def forget_file(settings: Settings, evidence: Evidence) -> None:
    if evidence.filename:
        evidence_store(settings).delete(evidence.school_id, evidence.id)
