"""Dependencies shared by the routes: app resources, the request's Db, the caller's school."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy import Executable
from temporalio.client import Client

from activities.smtp import SmtpSender
from api.sessions import Sessions
from cpd import logs
from cpd.db import Batch, Db, Sessionmaker, unit_of_work
from cpd.models import School
from cpd.security import LinkSigner
from cpd.settings import Settings
from services import tenancy
from services.errors import TooMany, Unauthorized
from services.links import FreshLinks
from services.ratelimit import RateLimiter
from services.sessions import Session
from services.signin import Viewer

Clock = Callable[[], Awaitable[datetime]]


@dataclass
class Resources:
    """What the app's lifespan owns: one of each, shared by every request."""

    settings: Settings
    sessionmaker: Sessionmaker
    client: Client
    signer: LinkSigner
    sessions: Sessions
    mailer: SmtpSender
    clock: Clock
    limiter: RateLimiter
    fresh_links: FreshLinks


async def get_resources(request: Request) -> Resources:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a thread, a hop per request.
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_db(res: ResourcesDep) -> AsyncIterator[Db]:
    # The one place a request's writes are committed (or rolled back on error).
    async with unit_of_work(res.sessionmaker) as db:
        yield db


DbDep = Annotated[Db, Depends(get_db)]


def client_of(request: Request) -> str:
    # The connecting address; behind a proxy, uvicorn's --proxy-headers (with
    # --forwarded-allow-ips naming the proxy) makes it the client's own.
    return request.client.host if request.client else ""


async def link_pages_limit(request: Request, res: ResourcesDep) -> None:
    """Teachers' and leaders' link pages, per client (services/ratelimit.py)."""
    wait = res.limiter.retry_after("link_client", client_of(request))
    if wait:
        raise TooMany("Too many requests from your network.", wait)


LinkPagesLimit = Depends(link_pages_limit)


async def current_session(request: Request, res: ResourcesDep, db: DbDep) -> Session | None:
    """The signed-in dashboard session, if the cookie names one that still stands."""
    found = await res.sessions.current(db, request)
    if found is not None:
        request.state.csrf = found.csrf  # every form on its pages carries it (api/pages.py)
    return found


SessionDep = Annotated[Session | None, Depends(current_session)]


async def current_viewer(session: SessionDep) -> Viewer | None:
    return session.viewer if session else None


ViewerDep = Annotated[Viewer | None, Depends(current_viewer)]


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized(f"Missing API key. {tenancy.AUTH_HELP}")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized(f"Malformed API key. {tenancy.AUTH_HELP}")
    return key


# The API key scope each call needs: erasure its own; otherwise reading or changing.
ERASING = frozenset(
    {
        ("POST", "/v1/school/erasure"),
        ("DELETE", "/v1/events/{event_id}/participants/{participant_id}/data"),
    }
)


def needed_scope(request: Request) -> str:
    route = getattr(request.scope.get("route"), "path", "")
    if (request.method, route) in ERASING:
        return "erase"
    return "read" if request.method in ("GET", "HEAD") else "trigger"


async def current_school(
    request: Request, db: DbDep, authorization: Annotated[str | None, Header()] = None
) -> School:
    # Every API call starts here, so it is one read in one hop (cpd.db.Db.read).
    school = await tenancy.school_for_key(db, _bearer(authorization), needed_scope(request))
    logs.SCHOOL_ID.set(school.id)
    return school


SchoolDep = Annotated[School, Depends(current_school)]


@dataclass
class SchoolRead:
    """The caller's school, and the rows of each statement a route asked for, by name."""

    school: School
    rows: Batch


def reading(**statements: Executable) -> Any:
    """Like ``SchoolDep``, with a read-only route's own statements in the same batch.

    They are bound to the request's path parameters (``event_id``...). A leader's
    status then costs one read in one hop, the key check included; nothing read is
    returned unless the key is good.
    """

    async def read(
        request: Request, db: DbDep, authorization: Annotated[str | None, Header()] = None
    ) -> SchoolRead:
        prefix, secret = tenancy.key_parts(_bearer(authorization))
        params = {**request.path_params, "prefix": prefix}
        rows = await db.read(params, key=tenancy.KEY_AND_SCHOOL, **statements)
        school = tenancy.school_of(rows.pop("key"), secret, needed_scope(request))
        logs.SCHOOL_ID.set(school.id)
        return SchoolRead(school, rows)

    return Depends(read)
