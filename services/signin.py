"""Who may sign in to the dashboard, and the emailed sign-in link.

The cookie itself is the API's business (api/sessions.py); this decides who is
let in and as what: a leader by their emailed link, or a school by its API key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import select

from activities.smtp import SmtpSender
from cpd import metrics
from cpd.db import Db
from cpd.models import Leader
from cpd.settings import Settings
from services.errors import Unauthorized
from services.mail import send_now
from services.tenancy import school_for_key


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, and the school or trust they look at."""

    role: str  # cpd_lead | leader | trust
    scope: str  # a school id, or a trust id for the trust role
    email: str = ""

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
    return Viewer(role=leader.role, scope=scope or "", email=leader.email)


async def key_viewer(db: Db, api_key: str) -> Viewer:
    """A school's API key signs in as that school's CPD lead."""
    try:
        school = await school_for_key(db, api_key)
    except Unauthorized as exc:
        metrics.SIGNINS.labels(method="api_key", outcome="refused").inc()
        raise Unauthorized("That API key was not recognised.") from exc
    metrics.SIGNINS.labels(method="api_key", outcome="signed_in").inc()
    return Viewer(role="cpd_lead", scope=school.id)
