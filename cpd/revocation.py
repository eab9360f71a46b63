"""Link versions as plain functions on a Session: the worker signs with them, and the
API raises them when a teacher's address changes (services/links.py checks them)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from cpd.models import LinkVersion, Participant


def current(session: Session, participant_ids: list[str]) -> dict[str, int]:
    rows = session.exec(
        select(LinkVersion).where(col(LinkVersion.participant_id).in_(participant_ids))
    )
    found = {row.participant_id: row.version for row in rows.all()}
    return {pid: found.get(pid, 0) for pid in participant_ids}


def bump(session: Session, participant_id: str) -> int:
    """Revoke every link signed so far for this participant; the new version."""
    row = session.get(LinkVersion, participant_id)
    if row is None:
        row = LinkVersion(participant_id=participant_id, version=0)
        session.add(row)
    row.version += 1
    return row.version


def portfolio_scope(session: Session, person: Participant) -> list[tuple[str, int]]:
    """What a portfolio link signed now covers: this follow-through first, then the
    teacher's others at this school (the same address today), each at its version."""
    same = session.exec(
        select(Participant.id).where(
            Participant.school_id == person.school_id, Participant.email == person.email
        )
    ).all()
    ids = [person.id, *(pid for pid in same if pid != person.id)]
    versions = current(session, ids)
    return [(pid, versions[pid]) for pid in ids]
