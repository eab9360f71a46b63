"""Dependencies shared by the routes: app resources, the DB session, the caller's school."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.templating import Jinja2Templates
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from activities.smtp import SmtpSender
from api.errors import ApiError
from api.sessions import Sessions
from cpd.db import Sessionmaker, unit_of_work
from cpd.models import ApiKey, School
from cpd.security import LinkSigner, api_secret_matches, split_api_key
from cpd.settings import Settings


@dataclass
class Resources:
    """What the app's lifespan owns: one of each, shared by every request."""

    settings: Settings
    sessionmaker: Sessionmaker
    client: Client
    signer: LinkSigner
    templates: Jinja2Templates
    sessions: Sessions
    mailer: SmtpSender


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(res: ResourcesDep) -> AsyncIterator[AsyncSession]:
    # The one place a request's writes are committed (or rolled back on error).
    async with unit_of_work(res.sessionmaker) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

_AUTH_HELP = "Send your school's API key as 'Authorization: Bearer cpd_...'."


async def current_school(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> School:
    if not authorization:
        raise ApiError(401, "unauthorized", f"Missing API key. {_AUTH_HELP}")
    scheme, _, key = authorization.partition(" ")
    parts = split_api_key(key.strip()) if scheme.lower() == "bearer" else None
    if parts is None:
        raise ApiError(401, "unauthorized", f"Malformed API key. {_AUTH_HELP}")
    prefix, secret = parts
    row = (await session.exec(select(ApiKey).where(ApiKey.prefix == prefix))).first()
    if row is None or row.revoked_at is not None or not api_secret_matches(secret, row.key_hash):
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.")
    school = await session.get(School, row.school_id)
    if school is None:
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.")
    return school


SchoolDep = Annotated[School, Depends(current_school)]
