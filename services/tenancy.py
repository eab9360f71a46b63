"""Whose records these are: a school's API key, and its own events and participants.

Every use case that takes an id goes through here, so tenancy is checked in one
place and a foreign id gets the same answer as a missing one (never a "forbidden"
that would confirm it exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from cpd.db import Db
from cpd.models import ApiKey, Event, Participant, School
from cpd.security import api_secret_matches, split_api_key
from services.errors import Forbidden, NotFound, Unauthorized

AUTH_HELP = "Send your school's API key as 'Authorization: Bearer cpd_...'."

# A key and its school together, bound to "prefix": run it alone, or in a batch of reads.
# (SQLAlchemy's own select: SQLModel's is typed for four columns at most.)
KEY_AND_SCHOOL = (
    sa_select(
        col(ApiKey.key_hash), col(ApiKey.revoked_at), col(ApiKey.id), col(ApiKey.scopes), School
    )
    .join(School, col(School.id) == col(ApiKey.school_id))
    .where(col(ApiKey.prefix) == bindparam("prefix"))
)


def key_parts(key: str) -> tuple[str, str]:
    """A key's (prefix, secret); refused if it is not a key at all."""
    parts = split_api_key(key.strip())
    if parts is None:
        raise Unauthorized(f"Malformed API key. {AUTH_HELP}")
    return parts


def school_of(rows: Sequence[Any], secret: str, scope: str) -> School:
    """The school whose key ``KEY_AND_SCHOOL`` found, if the secret is right, the key not
    revoked, and it may do ``scope`` (API_KEY_SCOPES)."""
    if not rows:
        raise Unauthorized("Unknown or revoked API key.")
    found = rows[0]
    if found.revoked_at is not None or not api_secret_matches(secret, found.key_hash):
        raise Unauthorized("Unknown or revoked API key.")
    if scope not in found.scopes.split():
        raise Forbidden(
            f"This API key may not {SCOPE_WORDS[scope]}: it needs the {scope!r} scope "
            f"(it has: {found.scopes or 'none'}). Ask for a key with it (cpd create-key --scope).",
            code="insufficient_scope",
        )
    school: School = found.School
    return school


SCOPE_WORDS = {
    "trigger": "start or change follow-throughs or the school's settings",
    "read": "read statuses, answers or exports",
    "erase": "erase a person's data",
}


async def school_for_key(db: Db, key: str, scope: str) -> School:
    """The school an API key belongs to, if it may do ``scope``: one read."""
    return (await key_and_school(db, key, scope))[1]


async def key_and_school(db: Db, key: str, scope: str) -> tuple[int, School]:
    """An API key's id, and its school, if it may do ``scope``."""
    prefix, secret = key_parts(key)
    found = (await db.read({"prefix": prefix}, key=KEY_AND_SCHOOL))["key"]
    school = school_of(found, secret, scope)
    return found[0].id, school


# The event, bound to "event_id", for a batch of reads; check it with ``owned``.
EVENT = select(Event).where(Event.id == bindparam("event_id"))


def owned(rows: Sequence[Any], school_id: str) -> Event:
    """The event ``EVENT`` found, if it is this school's."""
    event: Event | None = rows[0].Event if rows else None
    return _check(event, school_id)


def _check(event: Event | None, school_id: str) -> Event:
    if event is None or event.school_id != school_id:
        raise NotFound("No such event.")
    return event


async def owned_event(db: Db, school_id: str, event_id: str) -> Event:
    return _check(await db.get(Event, event_id), school_id)


async def owned_participant(
    db: Db, school_id: str, event_id: str, participant_id: str
) -> Participant:
    await owned_event(db, school_id, event_id)
    person = await db.get(Participant, participant_id)
    if person is None or person.event_id != event_id or person.school_id != school_id:
        raise NotFound("No such participant in this event.")
    return person
