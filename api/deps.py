"""Dependencies shared by the routes: app resources, the DB session, the caller's school."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from activities.smtp import SmtpSender
from api.errors import ApiError
from api.sessions import Sessions
from cpd.db import Reads, Sessionmaker, unit_of_work
from cpd.models import ApiKey, School
from cpd.security import LinkSigner, api_secret_matches, split_api_key
from cpd.settings import Settings


@dataclass
class Resources:
    """What the app's lifespan owns: one of each, shared by every request."""

    settings: Settings
    sessionmaker: Sessionmaker
    reads: Reads
    client: Client
    signer: LinkSigner
    templates: Jinja2Templates
    sessions: Sessions
    mailer: SmtpSender


async def get_resources(request: Request) -> Resources:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a thread, a hop per request.
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(res: ResourcesDep) -> AsyncIterator[AsyncSession]:
    # The one place a request's writes are committed (or rolled back on error).
    async with unit_of_work(res.sessionmaker) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

_AUTH_HELP = "Send your school's API key as 'Authorization: Bearer cpd_...'."


# The key and its school together, for a batch of reads (cpd.db.Reads).
_KEY_AND_SCHOOL = (
    select(ApiKey.key_hash, ApiKey.revoked_at, School)
    .join(School, col(School.id) == col(ApiKey.school_id))
    .where(ApiKey.prefix == bindparam("prefix"))
)


async def current_school(
    res: ResourcesDep, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> School:
    if not authorization:
        raise ApiError(401, "unauthorized", f"Missing API key. {_AUTH_HELP}")
    scheme, _, key = authorization.partition(" ")
    parts = split_api_key(key.strip()) if scheme.lower() == "bearer" else None
    if parts is None:
        raise ApiError(401, "unauthorized", f"Malformed API key. {_AUTH_HELP}")
    prefix, secret = parts
    # Every API call starts here, so it is one read in one hop (see Reads).
    (rows,) = await res.reads.run(session, {"prefix": prefix}, _KEY_AND_SCHOOL)
    if not rows:
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.")
    key_hash, revoked_at, school = rows[0]
    if revoked_at is not None or not api_secret_matches(secret, key_hash):
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.")
    return school


SchoolDep = Annotated[School, Depends(current_school)]
