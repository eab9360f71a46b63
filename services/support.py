"""When a teacher asks for help, somebody hears: their school's CPD lead, by email.

Batched: each CPD lead gets at most one email a school day, in school hours (the
school's calendar, with its bank holidays and estimated holidays), listing every
request not yet told. The lead marks a request in hand, then supported; supported
clears the teacher's flag, in the app and in their follow-through. The teacher's next
step email asks whether the support helped (activities/email.py); "not yet" opens the
request again, and the lead is told again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select
from temporalio.client import Client

from activities.smtp import SmtpSender
from cpd import census, school_year
from cpd.calendar import SchoolCalendar
from cpd.db import Db, Sessionmaker, unit_of_work
from cpd.models import Event, HelpRequest, Leader, Participant, School, utcnow
from cpd.security import LinkError, LinkSigner
from cpd.settings import Settings
from cpd.temporal import WorkflowGone, gone_if_not_found
from services import links
from services.mail import claim_once, send_now
from services.tenancy import owned_participant

log = logging.getLogger("cpd.help")


class HelpNotifier:
    def __init__(self, sessionmaker: Sessionmaker, mailer: SmtpSender, settings: Settings) -> None:
        self._db = sessionmaker
        self._mailer = mailer
        self._settings = settings

    async def tell_leads(self, now: datetime) -> int:
        """One email to each CPD lead of each school with requests not yet told, if the
        school is open now and the lead has not had one today. The emails sent."""
        async with unit_of_work(self._db) as db:
            waiting = (
                await db.exec(
                    select(HelpRequest).where(
                        col(HelpRequest.notified_at).is_(None), HelpRequest.status == "open"
                    )
                )
            ).all()
        by_school: dict[str, list[HelpRequest]] = defaultdict(list)
        for request in waiting:
            by_school[request.school_id].append(request)
        sent = 0
        for school_id, requests in by_school.items():
            sent += await self._tell_school(school_id, requests, now)
        return sent

    async def _tell_school(self, school_id: str, requests: list[HelpRequest], now: datetime) -> int:
        async with unit_of_work(self._db) as db:
            school = await db.get(School, school_id)
            if school is None:
                return 0
            entered = SchoolCalendar.model_validate_json(school.calendar_json)
            calendar = school_year.effective(entered, now.astimezone(entered.zone).date())
            if calendar.next_open_slot(now) != now:
                return 0  # outside school hours, a weekend or a holiday: later
            leads = (
                await db.exec(
                    select(Leader).where(Leader.school_id == school_id, Leader.role == "cpd_lead")
                )
            ).all()
            lines = await self._lines(db, requests)
        day = now.astimezone(calendar.zone).date().isoformat()
        sent = 0
        for lead in leads:
            if not await claim_once(self._db, f"help:{school_id}:{lead.id}:{day}"):
                continue  # this lead has had today's email: tomorrow's lists these
            context = {
                "school_name": school.name,
                "requests": lines,
                "link": f"{self._settings.public_base_url.rstrip('/')}/dashboard",
            }
            await send_now(self._mailer, self._settings, "help_requests", context, to=lead.email)
            sent += 1
        if sent:
            async with unit_of_work(self._db) as db:
                for request in requests:
                    row = await db.get(HelpRequest, request.id)
                    if row is not None:
                        row.notified_at = now
        return sent

    async def _lines(self, db: Db, requests: list[HelpRequest]) -> list[dict[str, str]]:
        lines = []
        for request in sorted(requests, key=lambda r: r.created_at):
            person = await db.get(Participant, request.participant_id)
            event = await db.get(Event, request.event_id)
            if person is None or event is None:
                continue  # erased since
            step = event.plan.step(request.step_id)
            lines.append(
                {
                    "name": person.name,
                    "event": event.title,
                    "question": step.prompt if step else request.step_id,
                    "text": request.text,
                    # "Not yet" to "did the support help?": asking again.
                    "again": "yes" if request.helped is False else "",
                }
            )
        return lines


async def mark(
    client: Client,
    db: Db,
    school_id: str,
    event_id: str,
    participant_id: str,
    status: Literal["in_hand", "supported"],
) -> Participant:
    """The CPD lead has it in hand, or has given the support: supported clears the flag."""
    person = await owned_participant(db, school_id, event_id, participant_id)
    requests = (
        await db.exec(
            select(HelpRequest).where(
                HelpRequest.participant_id == person.id, HelpRequest.status != "supported"
            )
        )
    ).all()
    for request in requests:
        request.status = status
        if status == "supported":
            request.supported_at = utcnow()
    if status == "supported":
        await db.run(_set_flag, person.id, False)
        await _tell_workflow(client, person, "support_given")
    await db.commit()
    return person


@dataclass(frozen=True)
class Followup:
    """A teacher's "did the support help?" link: their request, them and the event."""

    request: HelpRequest
    person: Participant
    event: Event


async def followup(db: Db, signer: LinkSigner, token: str) -> Followup:
    claims = await links.verified(db, signer, token, "support")
    person = await links.holder(db, claims)
    request = await db.get(HelpRequest, int(claims.step_id)) if claims.step_id.isdigit() else None
    event = await db.get(Event, person.event_id)
    if request is None or request.participant_id != person.id or event is None:
        raise LinkError("This link does not match a request for support.")
    return Followup(request, person, event)


async def record_helped(client: Client, db: Db, asked: Followup, helped: bool) -> bool:
    """The teacher says whether the support helped; False if they had said so already.
    "Not yet" opens the request again: the flag returns and the lead is told again."""
    request = asked.request
    if request.helped is not None:
        return False
    request.helped = helped
    request.helped_at = utcnow()
    if not helped:
        request.status = "open"
        request.notified_at = None
        request.supported_at = None
        await db.run(_set_flag, asked.person.id, True)
    await db.commit()
    if not helped:
        await _tell_workflow(client, asked.person, "support_needed")
    return True


async def has_cpd_lead(db: Db, school_id: str) -> bool:
    """Whether anyone will get the school's help emails (its CPD leads)."""
    found = await db.exec(
        select(Leader.id).where(Leader.school_id == school_id, Leader.role == "cpd_lead")
    )
    return found.first() is not None


async def _tell_workflow(client: Client, person: Participant, signal: str) -> None:
    # The workflow projects its own flag at its next step: it must agree with the app's.
    handle = client.get_workflow_handle(person.workflow_id)
    try:
        with gone_if_not_found():
            await handle.signal(signal)
    except WorkflowGone:
        pass  # ended: nothing more will ask again


def _set_flag(session: Session, participant_id: str, needs_help: bool) -> None:
    with census.kept(session, participant_id):
        row = session.get(Participant, participant_id)
        if row is not None:
            row.needs_help = needs_help
