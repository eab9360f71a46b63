"""Whether a teacher's link still stands: its participant's link version.

Changing a teacher's address, or the teacher asking for fresh links, raises the
version (cpd/revocation.py): every link signed before then is revoked, and says so
kindly. A portfolio link covers the follow-throughs it was signed for (each at its
version then), never whatever rows happen to carry that address now.
"""

from __future__ import annotations

from sqlmodel import func, select

from activities.smtp import SmtpSender
from cpd import revocation
from cpd.db import Db
from cpd.i18n import N_, Language, language_of
from cpd.models import Participant, School
from cpd.security import LinkClaims, LinkError, LinkSigner
from cpd.settings import Settings
from services.mail import send_now
from services.ratelimit import RateLimiter

REPLACED = N_(
    "This link has been replaced by a newer one. Please use the most recent email about "
    "this follow-through, or ask for a fresh link to your portfolio."
)


async def holder(db: Db, claims: LinkClaims) -> Participant:
    """The participant a link is for, if it has not been revoked."""
    person = await db.get(Participant, claims.participant_id)
    if person is None:
        raise LinkError("This follow-through no longer exists.")
    current = await db.run(revocation.current, [person.id])
    if current[person.id] != claims.version:
        raise LinkError(REPLACED, expired=True, language=await language(db, person))
    return person


async def language(db: Db, person: Participant) -> Language:
    """What this teacher reads: their own language, else their school's (cpd/i18n.py)."""
    school = await db.get(School, person.school_id)
    return language_of(person.language, school.language if school else "")


async def verified(db: Db, signer: LinkSigner, token: str, purpose: str) -> LinkClaims:
    """The link's claims; an expired teacher's link says so in the teacher's language."""
    try:
        return signer.verify(token, purpose)
    except LinkError as exc:
        person = await db.get(Participant, exc.participant_id) if exc.participant_id else None
        if person is not None:
            exc.language = await language(db, person)
        raise


async def link_language(db: Db, signer: LinkSigner, token: str, purpose: str) -> Language:
    """The language of the teacher a link is for; English if the link says nobody."""
    try:
        return await language(db, await holder(db, await verified(db, signer, token, purpose)))
    except LinkError as exc:
        return exc.language  # type: ignore[return-value]


async def covered(db: Db, claims: LinkClaims) -> dict[str, int]:
    """The follow-throughs a portfolio link still covers, with their versions: itself and
    the others it was signed for whose version is unchanged."""
    signed = dict(claims.also) or {claims.participant_id: claims.version}
    current = await db.run(revocation.current, list(signed))
    return {pid: version for pid, version in signed.items() if current[pid] == version}


class FreshLinks:
    """A teacher asks for a fresh portfolio link by typing their address.

    Every earlier link of theirs is revoked, and a new portfolio link goes to that address
    (one email per school they are known at). The caller says the same whatever happens:
    nobody learns from it who is registered. At most one email an address in 15 minutes
    (``fresh_link_address``, services/ratelimit.py): the form cannot flood an inbox.
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    def _allowed(self, address: str) -> bool:
        return self._limiter.wait("fresh_link_address", address) == 0

    async def send(
        self, db: Db, mailer: SmtpSender, settings: Settings, signer: LinkSigner, email: str
    ) -> None:
        address = email.strip().lower()
        if not address or not self._allowed(address):
            return
        found = await db.exec(select(Participant).where(func.lower(Participant.email) == address))
        schools: dict[str, list[Participant]] = {}
        for person in found.all():
            schools.setdefault(person.school_id, []).append(person)
        for people in schools.values():
            await send_portfolio_link(db, mailer, settings, signer, people)


async def send_portfolio_link(
    db: Db,
    mailer: SmtpSender,
    settings: Settings,
    signer: LinkSigner,
    people: list[Participant],
    by_lead: bool = False,
) -> None:
    """One email to one teacher at one school (``people``: their follow-throughs there):
    every earlier link of theirs is revoked, and a fresh portfolio link sent, which shows
    any question still waiting for them. ``by_lead``: their CPD lead asked for it."""
    for person in people:
        await db.run(revocation.bump, person.id)
    first = people[0]
    scope = await db.run(revocation.portfolio_scope, first)
    await db.commit()
    token = signer.sign(first.id, "*", "portfolio", scope[0][1], scope)
    school = await db.get(School, first.school_id)
    link = f"{settings.public_base_url.rstrip('/')}/p/{token}"
    context = {"link": link, "school_name": school.name if school else "", "by_lead": by_lead}
    await send_now(
        mailer,
        settings,
        "portfolio_link",
        context,
        to=first.email,
        language=language_of(first.language, school.language if school else ""),
    )


async def resend_to(
    db: Db, mailer: SmtpSender, settings: Settings, signer: LinkSigner, person: Participant
) -> None:
    """The CPD lead re-sends a teacher their link: a fresh portfolio link, at the address
    this follow-through has now, covering their follow-throughs at the school with it."""
    same = await db.exec(
        select(Participant).where(
            Participant.school_id == person.school_id, Participant.email == person.email
        )
    )
    others = [p for p in same.all() if p.id != person.id]
    await send_portfolio_link(db, mailer, settings, signer, [person, *others], by_lead=True)
