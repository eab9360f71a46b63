"""Who may sign in to the dashboard, and the emailed sign-in link.

The cookie itself is the API's business (api/sessions.py); this decides who is
let in and as what: a leader by their emailed link (each link once), or a school by
its API key.
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
from cpd.models import Leader, UsedSignInLink, utcnow
from cpd.settings import Settings
from services.errors import Forbidden, Unauthorized
from services.mail import send_now
from services.tenancy import key_and_school

# How long an emailed sign-in link works; it signs in once.
SIGN_IN_LINK_SECONDS = 30 * 60


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, and the school or trust they look at."""

    role: str  # cpd_lead | leader | trust
    scope: str  # a school id, or a trust id for the trust role
    email: str = ""
    # What let them in (their session ends when it no longer stands: services/sessions.py).
    leader_id: int | None = None
    api_key_id: int | None = None

    @property
    def sees_names(self) -> bool:
        return self.role == "cpd_lead"


async def email_link(
    db: Db, mailer: SmtpSender, settings: Settings, email: str, link_for: Callable[[int], str]
) -> None:
    """Email a sign-in link if the address is a leader's; nothing tells the caller which."""
    found = await db.exec(select(Leader).where(Leader.email == email.strip().lower()))
    for leader in found.all()[:1]:
        assert leader.id is not None
        context = {"link": link_for(leader.id)}
        await send_now(mailer, settings, "magic_link", context, to=leader.email)


async def leader_viewer(db: Db, leader_id: int) -> Viewer:
    """What a leader's sign-in link lets them see."""
    leader = await db.get(Leader, leader_id)
    if leader is None:
        metrics.SIGNINS.labels(method="magic_link", outcome="refused").inc()
        raise Unauthorized("That sign-in link is no longer valid.")
    metrics.SIGNINS.labels(method="magic_link", outcome="signed_in").inc()
    scope = leader.trust_id if leader.role == "trust" else leader.school_id
    return Viewer(role=leader.role, scope=scope or "", email=leader.email, leader_id=leader.id)


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


async def key_viewer(db: Db, api_key: str) -> Viewer:
    """A school's API key that may read signs in as that school's CPD lead."""
    try:
        key_id, school = await key_and_school(db, api_key, "read")
    except (Unauthorized, Forbidden) as exc:
        metrics.SIGNINS.labels(method="api_key", outcome="refused").inc()
        raise Unauthorized("That API key was not recognised.") from exc
    metrics.SIGNINS.labels(method="api_key", outcome="signed_in").inc()
    return Viewer(role="cpd_lead", scope=school.id, api_key_id=key_id)
