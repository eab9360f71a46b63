"""Admin operations on schools, keys, trusts and leaders, shared by the CLI, the dev stack
and the school's own settings in the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import col, select

from cpd import school_year
from cpd.branding import Branding
from cpd.calendar import SchoolCalendar
from cpd.db import Db, Sessionmaker, unit_of_work
from cpd.ics import IcsRejected, read_ics
from cpd.models import (
    API_KEY_SCOPES,
    DEFAULT_KEY_SCOPES,
    ApiKey,
    Leader,
    School,
    Trust,
    utcnow,
)
from cpd.security import new_api_key
from services.errors import Invalid
from services.schemas import CalendarImport, SchoolYearOut


async def create_school(
    sessionmaker: Sessionmaker, school_id: str, name: str, calendar: SchoolCalendar | None = None
) -> School:
    async with unit_of_work(sessionmaker) as session:
        if await session.get(School, school_id) is not None:
            raise ValueError(f"school {school_id!r} already exists")
        school = School(
            id=school_id, name=name, calendar_json=(calendar or SchoolCalendar()).model_dump_json()
        )
        session.add(school)
    return school


async def create_key(
    sessionmaker: Sessionmaker,
    school_id: str,
    label: str = "",
    scopes: Sequence[str] = DEFAULT_KEY_SCOPES,
) -> str:
    """Create a key that may do ``scopes`` and return it in full: the only time it is shown."""
    async with unit_of_work(sessionmaker) as session:
        return await add_key(session, school_id, label, scopes)


async def add_key(
    db: Db, school_id: str, label: str = "", scopes: Sequence[str] = DEFAULT_KEY_SCOPES
) -> str:
    """``create_key`` inside the caller's transaction (the dashboard's request)."""
    unknown = sorted(set(scopes) - set(API_KEY_SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes are {', '.join(API_KEY_SCOPES)}; not {', '.join(unknown)}")
    key, prefix, key_hash = new_api_key()
    chosen = " ".join(s for s in API_KEY_SCOPES if s in scopes)
    if await db.get(School, school_id) is None:
        raise ValueError(f"no school {school_id!r}")
    db.add(
        ApiKey(school_id=school_id, prefix=prefix, key_hash=key_hash, label=label, scopes=chosen)
    )
    return key


async def list_keys(sessionmaker: Sessionmaker, school_id: str) -> list[ApiKey]:
    async with sessionmaker() as session:
        found = await session.exec(
            select(ApiKey).where(ApiKey.school_id == school_id).order_by(col(ApiKey.created_at))
        )
        return list(found.all())


async def revoke_key(sessionmaker: Sessionmaker, prefix: str) -> bool:
    async with unit_of_work(sessionmaker) as session:
        row = (await session.exec(select(ApiKey).where(ApiKey.prefix == prefix))).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
    return True


ROLES = ("cpd_lead", "leader", "trust")


async def create_trust(
    sessionmaker: Sessionmaker, trust_id: str, name: str, schools: list[str]
) -> Trust:
    async with unit_of_work(sessionmaker) as session:
        if await session.get(Trust, trust_id) is not None:
            raise ValueError(f"trust {trust_id!r} already exists")
        trust = Trust(id=trust_id, name=name)
        session.add(trust)
        for school_id in schools:
            school = await session.get(School, school_id)
            if school is None:
                raise ValueError(f"no school {school_id!r}")
            school.trust_id = trust_id
    return trust


async def add_leader(
    sessionmaker: Sessionmaker,
    email: str,
    role: str,
    school_id: str | None = None,
    trust_id: str | None = None,
) -> Leader:
    async with unit_of_work(sessionmaker) as session:
        return await new_leader(session, email, role, school_id, trust_id)


async def new_leader(
    db: Db,
    email: str,
    role: str,
    school_id: str | None = None,
    trust_id: str | None = None,
    name: str = "",
) -> Leader:
    """``add_leader`` inside the caller's transaction (the dashboard's request)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of: {', '.join(ROLES)}")
    if (role == "trust") != (trust_id is not None) or (role != "trust") != (school_id is not None):
        raise ValueError("a trust leader needs --trust; a school leader needs --school")
    if school_id is not None and await db.get(School, school_id) is None:
        raise ValueError(f"no school {school_id!r}")
    if trust_id is not None and await db.get(Trust, trust_id) is None:
        raise ValueError(f"no trust {trust_id!r}")
    leader = Leader(
        email=email.strip().lower(), name=name, role=role, school_id=school_id, trust_id=trust_id
    )
    db.add(leader)
    return leader


async def has_leader(sessionmaker: Sessionmaker, email: str, school_id: str) -> bool:
    async with unit_of_work(sessionmaker) as session:
        return bool(await _leaders(session, email, school_id, None))


async def _leaders(
    session: Db, email: str, school_id: str | None, trust_id: str | None
) -> list[Leader]:
    found = await session.exec(
        select(Leader).where(
            Leader.email == email.strip().lower(),
            Leader.school_id == school_id,
            Leader.trust_id == trust_id,
        )
    )
    return list(found.all())


def check_school_role(role: str) -> None:
    if role not in ROLES or role == "trust":
        raise ValueError("a school leader's role is cpd_lead or leader")


async def set_leader_role(
    sessionmaker: Sessionmaker, email: str, role: str, school_id: str | None
) -> bool:
    """A school's leader becomes ``cpd_lead`` or ``leader``; their dashboard sessions end
    (services/sessions.py sees the role they signed in with no longer stands)."""
    check_school_role(role)
    async with unit_of_work(sessionmaker) as session:
        leaders = await _leaders(session, email, school_id, None)
        for leader in leaders:
            leader.role = role
    return bool(leaders)


async def remove_leader(
    sessionmaker: Sessionmaker, email: str, school_id: str | None, trust_id: str | None
) -> bool:
    """They can no longer sign in, and any dashboard session of theirs ends."""
    async with unit_of_work(sessionmaker) as session:
        leaders = await _leaders(session, email, school_id, trust_id)
        for leader in leaders:
            await session.delete(leader)
    return bool(leaders)


async def set_calendar(db: Db, school: School, calendar: SchoolCalendar) -> None:
    # The school may have been read outside this session (api/deps.py); merge brings it in.
    school.calendar_json = calendar.model_dump_json()
    await db.merge(school)


async def set_language(db: Db, school: School, language: str) -> None:
    """The school's teachers read their next emails, and their pages, in this language."""
    school.language = language
    await db.merge(school)


async def set_branding(db: Db, school: School, branding: Branding) -> None:
    school.branding_json = branding.model_dump_json()
    await db.merge(school)


def school_year_view(school: School, now: datetime) -> SchoolYearOut:
    calendar = SchoolCalendar.model_validate_json(school.calendar_json)
    today = now.astimezone(calendar.zone).date()
    added = school_year.effective(calendar, today).closures[len(calendar.closures) :]
    return SchoolYearOut(
        nation=calendar.nation,
        terms_entered=bool(calendar.terms),
        bank_holidays=[c for c in added if c.name.startswith(school_year.BANK_HOLIDAY)],
        estimated=[c for c in added if c.name.startswith(school_year.ESTIMATED)],
        warnings=school_year.warnings(calendar, today),
    )


def calendar_from_ics(school: School, data: bytes) -> CalendarImport:
    """What a school's .ics says, as its calendar would become: terms and closures replaced,
    its nation, time zone, working days and send window kept. Refused if unreadable."""
    try:
        found = read_ics(data)
        current = SchoolCalendar.model_validate_json(school.calendar_json)
        calendar = SchoolCalendar.model_validate(
            {**current.model_dump(), "terms": found.terms, "closures": found.closures}
        )
    except IcsRejected as exc:
        raise Invalid(str(exc), [{"field": "file", "message": str(exc)}]) from exc
    except ValidationError as exc:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise Invalid(message, [{"field": "file", "message": message}]) from exc
    return CalendarImport(
        applied=False,
        terms=found.terms,
        closures=found.closures,
        not_understood=found.not_understood,
        calendar=calendar,
    )


async def import_calendar(db: Db, school: School, data: bytes, apply: bool) -> CalendarImport:
    """Preview an .ics import, or (``apply``) save it."""
    result = calendar_from_ics(school, data)
    if apply:
        await set_calendar(db, school, result.calendar)
        result.applied = True
    return result
