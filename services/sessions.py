"""Dashboard sessions, kept server-side so they can end.

A session is a row named by the hash of a random token (the cookie is the API's
business, api/sessions.py). It ends at sign-out (the row goes), after 12 hours, and as
soon as what let it in no longer stands: the leader was removed or given another role,
or the school's sign-in provider they came through was removed. That last check is made
on every request, so it holds however the leader or provider changed. A session an API
key started (before keys stopped signing in to the dashboard) no longer stands.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlmodel import col

from cpd.db import Db
from cpd.models import DashboardSession, Leader, SignInProvider, utcnow
from services.signin import Viewer

SESSION_HOURS = 12

# A session and what let it in, bound to "token_hash".
SESSION_AND_SOURCE: Select[Any] = (
    select(
        DashboardSession,
        col(Leader.role).label("leader_role"),
        col(Leader.school_id).label("leader_school"),
        col(Leader.trust_id).label("leader_trust"),
        col(SignInProvider.id).label("provider"),
        col(SignInProvider.school_id).label("provider_school"),
        col(SignInProvider.others_as).label("provider_others_as"),
    )
    .outerjoin(Leader, col(Leader.id) == col(DashboardSession.leader_id))
    .outerjoin(SignInProvider, col(SignInProvider.id) == col(DashboardSession.provider_id))
    .where(col(DashboardSession.token_hash) == bindparam("token_hash"))
)


@dataclass(frozen=True)
class Session:
    viewer: Viewer
    # The token every form of this session carries back (api/csrf.py).
    csrf: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(db: Db, who: Viewer) -> str:
    """A new session for this viewer; returns the token its cookie carries."""
    now = utcnow()
    # Expired sessions are refused anyway; clear them out while we are here.
    await db.exec(delete(DashboardSession).where(col(DashboardSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    db.add(
        DashboardSession(
            token_hash=token_hash(token),
            role=who.role,
            scope=who.scope,
            email=who.email,
            leader_id=who.leader_id,
            provider_id=who.provider_id,
            can_switch=who.can_switch,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return token


async def current(db: Db, token: str) -> Session | None:
    """The session this token names, if it still stands."""
    rows = (await db.read({"token_hash": token_hash(token)}, found=SESSION_AND_SOURCE))["found"]
    if not rows or not _stands(rows[0]):
        return None
    row: DashboardSession = rows[0].DashboardSession
    viewer = Viewer(
        role=row.role,
        scope=row.scope,
        email=row.email,
        leader_id=row.leader_id,
        provider_id=row.provider_id,
        can_switch=row.can_switch,
    )
    return Session(viewer, row.csrf_token)


def _stands(found: Any) -> bool:
    row: DashboardSession = found.DashboardSession
    if row.expires_at <= utcnow():
        return False
    if row.provider_id is not None and found.provider is None:
        return False  # the provider they came through was removed
    if row.leader_id is not None:
        scope = found.leader_trust if row.role == "trust" else found.leader_school
        # None when the leader was removed: no role matches.
        return bool(found.leader_role == row.role and scope == row.scope)
    if row.provider_id is not None:
        # Let in by the provider alone: while it still lets its domains in as leaders.
        return bool(
            row.role == "leader"
            and found.provider_others_as == "leader"
            and found.provider_school == row.scope
        )
    return False  # an API key's session, from before keys stopped signing in


async def end(db: Db, token: str) -> None:
    ended = delete(DashboardSession).where(col(DashboardSession.token_hash) == token_hash(token))
    await db.exec(ended)
