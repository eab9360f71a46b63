"""Dependencies shared by the routes: app resources, the DB session, the caller's school."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, Header, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Executable, Row, bindparam
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


def _key_parts(authorization: str | None) -> tuple[str, str]:
    if not authorization:
        raise ApiError(401, "unauthorized", f"Missing API key. {_AUTH_HELP}")
    scheme, _, key = authorization.partition(" ")
    parts = split_api_key(key.strip()) if scheme.lower() == "bearer" else None
    if parts is None:
        raise ApiError(401, "unauthorized", f"Malformed API key. {_AUTH_HELP}")
    return parts


def _school_of(rows: Sequence[Row[Any]], secret: str) -> School:
    if not rows:
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.")
    key_hash, revoked_at, school = rows[0]
    if revoked_at is not None or not api_secret_matches(secret, key_hash):
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.")
    return cast(School, school)


async def current_school(
    res: ResourcesDep, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> School:
    prefix, secret = _key_parts(authorization)
    # Every API call starts here, so it is one read in one hop (see Reads).
    (rows,) = await res.reads.run(session, {"prefix": prefix}, _KEY_AND_SCHOOL)
    return _school_of(rows, secret)


SchoolDep = Annotated[School, Depends(current_school)]


@dataclass
class SchoolRead:
    """The caller's school, and the rows of each statement a route asked for."""

    school: School
    rows: list[Sequence[Row[Any]]]


def reading(*statements: Executable) -> Any:
    """Like ``SchoolDep``, with a read-only route's own statements in the same batch.

    They are bound to the request's path parameters (``event_id``...). A leader's
    status then costs one read in one hop, the key check included; nothing read is
    returned unless the key is good.
    """

    async def read(
        request: Request,
        res: ResourcesDep,
        session: SessionDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> SchoolRead:
        prefix, secret = _key_parts(authorization)
        params = {**request.path_params, "prefix": prefix}
        key, *rows = await res.reads.run(session, params, _KEY_AND_SCHOOL, *statements)
        return SchoolRead(_school_of(key, secret), rows)

    return Depends(read)
