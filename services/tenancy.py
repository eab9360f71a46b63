"""Whose records these are: a school's API key, and its own events and participants.

Every use case that takes an id goes through here, so tenancy is checked in one
place and a foreign id gets the same answer as a missing one (never a "forbidden"
that would confirm it exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from cpd.db import Db
from cpd.models import ApiKey, Event, Participant, School
from cpd.security import api_secret_matches, split_api_key
from services.errors import NotFound, Unauthorized

AUTH_HELP = "Send your school's API key as 'Authorization: Bearer cpd_...'."

# A key and its school together, bound to "prefix": run it alone, or in a batch of reads.
KEY_AND_SCHOOL = (
    select(ApiKey.key_hash, ApiKey.revoked_at, ApiKey.id, School)
    .join(School, col(School.id) == col(ApiKey.school_id))
    .where(ApiKey.prefix == bindparam("prefix"))
)


def key_parts(key: str) -> tuple[str, str]:
    """A key's (prefix, secret); refused if it is not a key at all."""
    parts = split_api_key(key.strip())
    if parts is None:
        raise Unauthorized(f"Malformed API key. {AUTH_HELP}")
    return parts


def school_of(rows: Sequence[Any], secret: str) -> School:
    """The school whose key ``KEY_AND_SCHOOL`` found, if the secret is right and not revoked."""
    if not rows:
        raise Unauthorized("Unknown or revoked API key.")
    found = rows[0]
    if found.revoked_at is not None or not api_secret_matches(secret, found.key_hash):
        raise Unauthorized("Unknown or revoked API key.")
    school: School = found.School
    return school


async def school_for_key(db: Db, key: str) -> School:
    """The school an API key belongs to: one read."""
    return (await key_and_school(db, key))[1]


async def key_and_school(db: Db, key: str) -> tuple[int, School]:
    """An API key's id, and its school."""
    prefix, secret = key_parts(key)
    found = (await db.read({"prefix": prefix}, key=KEY_AND_SCHOOL))["key"]
    school = school_of(found, secret)
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
