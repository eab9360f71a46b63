"""Who may reach a school's data, as its CPD lead manages it from the dashboard: its
leaders and their roles, and its API keys.

The rules for a leader's role and a key's scopes are services/admin.py's (shared with the
CLI); this adds what only the school's own view needs: ids checked against the school (a
foreign id is "not found"), errors worded for the field they belong to, and the rule that
a school always keeps a CPD lead. A removed or re-roled leader's dashboard sessions end on
their next request (services/sessions.py checks the role every time).
"""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlmodel import col, func, select

from cpd.db import Db
from cpd.models import API_KEY_SCOPES, ApiKey, Leader, utcnow
from services import admin
from services.errors import Invalid, NotFound

SCHOOL_ROLES = ("cpd_lead", "leader")
LAST_LEAD = (
    "{email} is the school's only CPD lead. Add another CPD lead first: without one, "
    "nobody could manage the school's settings or see who needs support."
)


async def leaders(db: Db, school_id: str) -> list[Leader]:
    found = await db.exec(
        select(Leader).where(Leader.school_id == school_id).order_by(col(Leader.email))
    )
    return list(found.all())


async def add_leader(db: Db, school_id: str, email: str, role: str, name: str = "") -> Leader:
    if role not in SCHOOL_ROLES:
        raise Invalid("Choose a role.", [{"field": "role", "message": "Choose a role."}])
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        message = f"This is not an email address: {exc}"
        raise Invalid(message, [{"field": "email", "message": message}]) from exc
    known = await db.exec(
        select(Leader).where(Leader.school_id == school_id, Leader.email == address)
    )
    if known.first() is not None:
        message = f"{address} is already one of the school's leaders."
        raise Invalid(message, [{"field": "email", "message": message}])
    return await admin.new_leader(db, address, role, school_id=school_id, name=name.strip())


async def set_role(db: Db, school_id: str, leader_id: int, role: str) -> Leader:
    if role not in SCHOOL_ROLES:
        raise Invalid("Choose a role.", [{"field": "role", "message": "Choose a role."}])
    leader = await _school_leader(db, school_id, leader_id)
    if role != "cpd_lead":
        await _keep_a_lead(db, leader)
    leader.role = role
    return leader


async def remove_leader(db: Db, school_id: str, leader_id: int) -> Leader:
    leader = await _school_leader(db, school_id, leader_id)
    await _keep_a_lead(db, leader)
    await db.delete(leader)
    return leader


async def _school_leader(db: Db, school_id: str, leader_id: int) -> Leader:
    leader = await db.get(Leader, leader_id)
    if leader is None or leader.school_id != school_id:
        raise NotFound("No such leader at this school.")
    return leader


async def _keep_a_lead(db: Db, leader: Leader) -> None:
    """Refuse to take away the school's last CPD lead."""
    if leader.role != "cpd_lead":
        return
    leads = await db.exec(
        select(func.count()).where(Leader.school_id == leader.school_id, Leader.role == "cpd_lead")
    )
    if leads.one() <= 1:
        message = LAST_LEAD.format(email=leader.email)
        raise Invalid(message, [{"field": "leader", "message": message}])


async def keys(db: Db, school_id: str) -> list[ApiKey]:
    found = await db.exec(
        select(ApiKey).where(ApiKey.school_id == school_id).order_by(col(ApiKey.created_at))
    )
    return list(found.all())


async def create_key(db: Db, school_id: str, label: str, scopes: Sequence[str]) -> str:
    """A new key, returned in full: the only time anyone sees it (only its hash is kept)."""
    label = " ".join(label.split())
    if not label:
        message = "Give the key a label, e.g. the system that will use it."
        raise Invalid(message, [{"field": "label", "message": message}])
    if not scopes or set(scopes) - set(API_KEY_SCOPES):
        message = "Choose at least one of the things the key may do."
        raise Invalid(message, [{"field": "scopes", "message": message}])
    return await admin.add_key(db, school_id, label, scopes)


async def revoke_key(db: Db, school_id: str, key_id: int) -> ApiKey:
    """The key stops working at once; revoking it again changes nothing."""
    key = await db.get(ApiKey, key_id)
    if key is None or key.school_id != school_id:
        raise NotFound("No such key at this school.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
