"""Schools' and trusts' own sign-in providers (OpenID Connect): adding, listing, removing
them (the admin command line), and whose leaders each may sign in.

A provider vouches only for its owner: a school's for that school's leaders, a trust's for
the trust's leaders and those of its schools. So one school's sign-in cannot let anyone
into another school, whatever its accounts claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import col, or_, select

from cpd.db import Db, Sessionmaker, unit_of_work
from cpd.models import DashboardSession, School, SignInProvider, Trust
from cpd.sealed import seal
from cpd.settings import Settings, is_loopback

KINDS = ("microsoft", "google", "oidc")
GOOGLE = "https://accounts.google.com"
LABELS = {
    "microsoft": "Sign in with Microsoft",
    "google": "Sign in with Google",
    "oidc": "Sign in with your school account",
}


@dataclass(frozen=True)
class Button:
    """A provider as the sign-in page offers it."""

    provider_id: int
    label: str


def microsoft_issuer(tenant: str) -> str:
    return f"https://login.microsoftonline.com/{tenant}/v2.0"


def _words(values: list[str]) -> str:
    return " ".join(sorted({v.strip().lower().lstrip("@") for v in values if v.strip()}))


async def add_provider(
    sessionmaker: Sessionmaker,
    settings: Settings,
    kind: str,
    client_id: str,
    client_secret: str,
    domains: list[str],
    school_id: str | None = None,
    trust_id: str | None = None,
    issuer: str = "",
    tenant: str = "",
    others_as: str = "",
) -> SignInProvider:
    """A provider for a school or a trust; raises ValueError saying what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of: {', '.join(KINDS)}")
    if (school_id is None) == (trust_id is None):
        raise ValueError("a provider belongs to one school (--school) or one trust (--trust)")
    if not _words(domains):
        raise ValueError("name the email domains it signs in (--domain), e.g. hillside.sch.uk")
    if kind == "microsoft":
        if not tenant:
            raise ValueError("a Microsoft provider needs the school's Entra tenant id (--tenant)")
        issuer = microsoft_issuer(tenant)
    elif kind == "google":
        issuer = GOOGLE
    parts = urlsplit(issuer)
    if not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))
    ):
        raise ValueError("the issuer must be an https:// address (--issuer)")
    if others_as not in ("", "leader"):
        raise ValueError("others may sign in only as a leader")
    if others_as and school_id is None:
        raise ValueError("'anyone from these domains signs in as a leader' is for a school")
    async with unit_of_work(sessionmaker) as db:
        if school_id is not None and await db.get(School, school_id) is None:
            raise ValueError(f"no school {school_id!r}")
        if trust_id is not None and await db.get(Trust, trust_id) is None:
            raise ValueError(f"no trust {trust_id!r}")
        provider = SignInProvider(
            school_id=school_id,
            trust_id=trust_id,
            kind=kind,
            issuer=issuer.rstrip("/") if kind == "oidc" else issuer,
            client_id=client_id.strip(),
            client_secret=seal(settings, client_secret) if client_secret else "",
            email_domains=_words(domains),
            tenant_ids=_words([tenant]),
            others_as=others_as,
        )
        db.add(provider)
    return provider


async def list_providers(sessionmaker: Sessionmaker) -> list[SignInProvider]:
    async with unit_of_work(sessionmaker) as db:
        return list((await db.exec(select(SignInProvider).order_by(col(SignInProvider.id)))).all())


async def remove_provider(sessionmaker: Sessionmaker, provider_id: int) -> bool:
    """Nobody signs in through it any more, and the sessions started through it end."""
    async with unit_of_work(sessionmaker) as db:
        provider = await db.get(SignInProvider, provider_id)
        if provider is None:
            return False
        await db.delete(provider)
        started = select(DashboardSession).where(DashboardSession.provider_id == provider_id)
        for session in (await db.exec(started)).all():
            await db.delete(session)
    return True


async def owner_name(db: Db, provider: SignInProvider) -> str:
    owner = (
        await db.get(School, provider.school_id)
        if provider.school_id
        else await db.get(Trust, provider.trust_id)
    )
    return owner.name if owner else ""


async def _buttons(db: Db, providers: list[SignInProvider]) -> list[Button]:
    labels = [LABELS[p.kind] for p in providers]
    several = len(set(labels)) < len(labels)
    return [
        Button(p.id or 0, f"{label} ({await owner_name(db, p)})" if several else label)
        for p, label in zip(providers, labels, strict=True)
    ]


async def for_school(db: Db, school_id: str) -> list[Button]:
    """The providers a school's sign-in page offers: its own, and its trust's."""
    school = await db.get(School, school_id)
    if school is None:
        return []
    owned = col(SignInProvider.school_id) == school.id
    if school.trust_id:
        owned = or_(owned, col(SignInProvider.trust_id) == school.trust_id)
    found = await db.exec(select(SignInProvider).where(owned).order_by(col(SignInProvider.id)))
    return await _buttons(db, list(found.all()))


async def for_email(db: Db, email: str) -> list[Button]:
    """The providers that sign in this address's domain."""
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return []
    found = await db.exec(
        select(SignInProvider)
        .where(col(SignInProvider.email_domains).contains(domain))
        .order_by(col(SignInProvider.id))
    )
    # contains() is a substring match: keep only whole domains.
    return await _buttons(db, [p for p in found.all() if domain in p.email_domains.split()])


async def school_ids_of(db: Db, provider: SignInProvider) -> set[str]:
    """The schools a provider vouches for."""
    if provider.school_id:
        return {provider.school_id}
    found = await db.exec(select(School.id).where(School.trust_id == provider.trust_id))
    return set(found.all())
