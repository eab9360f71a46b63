"""Who may sign in to the dashboard, and as what; the emailed sign-in link.

The cookie itself is the API's business (api/sessions.py); this decides who is let in
and as what. A person proves their email address (by an emailed link, each link once, or
through their school's own sign-in: services/oidc.py); then each Leader row with that
address is a school or trust they may view. With several, they choose one, and may switch
later without signing in again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from activities.smtp import SmtpSender
from cpd import metrics
from cpd.db import Db
from cpd.models import Leader, School, SignInProvider, Trust, UsedSignInLink, utcnow
from cpd.settings import Settings
from services.errors import NotFound, Unauthorized
from services.mail import send_now
from services.providers import school_ids_of

# How long an emailed sign-in link works; it signs in once.
SIGN_IN_LINK_SECONDS = 30 * 60


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, and the school or trust they look at."""

    role: str  # cpd_lead | leader | trust
    scope: str  # a school id, or a trust id for the trust role
    email: str = ""
    # What let them in (their session ends when it no longer stands: services/sessions.py):
    # their Leader row, and the school's sign-in provider if they came through one.
    leader_id: int | None = None
    provider_id: int | None = None
    # They lead more than one school or trust, and may switch between them.
    can_switch: bool = False

    @property
    def sees_names(self) -> bool:
        return self.role == "cpd_lead"


@dataclass(frozen=True)
class Choice:
    """A school or trust someone may view, and as what."""

    role: str
    scope: str
    name: str
    leader_id: int | None  # None: let in by the provider alone, as a leader


def counted(method: str, outcome: str) -> None:
    metrics.SIGNINS.labels(method=method, outcome=outcome).inc()


async def email_link(
    db: Db, mailer: SmtpSender, settings: Settings, email: str, link_for: Callable[[str], str]
) -> None:
    """Email a sign-in link if the address is a leader's; nothing tells the caller which."""
    address = email.strip().lower()
    found = await db.exec(select(Leader.id).where(Leader.email == address).limit(1))
    if found.first() is not None:
        await send_now(mailer, settings, "magic_link", {"link": link_for(address)}, to=address)


async def choices(db: Db, email: str, provider_id: int | None = None) -> list[Choice]:
    """What this person may view: each of their Leader rows (through a provider, only those
    it vouches for; or, if it lets anyone from its domains in, its school as a leader)."""
    rows = list((await db.exec(select(Leader).where(Leader.email == email.strip().lower()))).all())
    provider = await db.get(SignInProvider, provider_id) if provider_id is not None else None
    if provider_id is not None:
        if provider is None:
            return []
        schools = await school_ids_of(db, provider)
        rows = [
            r
            for r in rows
            if (r.school_id in schools and r.role != "trust")
            or (provider.trust_id is not None and r.trust_id == provider.trust_id)
        ]
    found = []
    for row in rows:
        if row.role == "trust":
            trust = await db.get(Trust, row.trust_id)
            name = trust.name if trust else row.trust_id or ""
            found.append(Choice("trust", row.trust_id or "", name, row.id))
        else:
            school = await db.get(School, row.school_id)
            name = school.name if school else row.school_id or ""
            found.append(Choice(row.role, row.school_id or "", name, row.id))
    if not found and provider is not None and provider.others_as == "leader" and provider.school_id:
        school = await db.get(School, provider.school_id)
        found.append(Choice("leader", provider.school_id, school.name if school else "", None))
    return sorted(found, key=lambda c: (c.name.lower(), c.role))


def viewer(email: str, choice: Choice, provider_id: int | None, several: bool) -> Viewer:
    return Viewer(
        role=choice.role,
        scope=choice.scope,
        email=email.strip().lower(),
        leader_id=choice.leader_id,
        provider_id=provider_id,
        can_switch=several,
    )


async def chosen(db: Db, email: str, provider_id: int | None, leader_id: int) -> Viewer:
    """The viewer for one of this person's choices; NotFound for anything else (another
    school's leader id, say)."""
    options = await choices(db, email, provider_id)
    for choice in options:
        if choice.leader_id == leader_id:
            return viewer(email, choice, provider_id, len(options) > 1)
    raise NotFound("not one of your schools")


async def use_link(db: Db, token: str) -> None:
    """Mark an emailed sign-in link used; refused if it was used before. Call it after the
    signature is checked: only real links are kept."""
    now = utcnow()
    expired = now - timedelta(seconds=SIGN_IN_LINK_SECONDS)
    await db.exec(delete(UsedSignInLink).where(col(UsedSignInLink.used_at) < expired))
    try:
        # Two tabs racing with one link: the unique key lets one through.
        async with db.begin_nested():
            db.add(UsedSignInLink(token_hash=hashlib.sha256(token.encode()).hexdigest()))
    except IntegrityError as exc:
        raise Unauthorized(
            "That sign-in link has been used already. Ask for a new one below."
        ) from exc
