"""Settings: the school's leaders and their roles, and its API keys (CPD lead only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DbDep, ViewerDep
from api.pages import page
from api.routes.dashboard.base import LeadDep, dashboard_router, field_errors, missing
from cpd.models import API_KEY_SCOPES, School
from services import school_access
from services.errors import Invalid
from services.signin import Viewer
from services.tenancy import SCOPE_WORDS

router = dashboard_router()


async def _leaders_page(
    request: Request, db: DbDep, who: Viewer, school: School, status: int = 200, **extra: Any
) -> HTMLResponse:
    found = await school_access.leaders(db, school.id)
    return page(
        request,
        "dashboard/leaders.html",
        status=status,
        who=who,
        school=school,
        leaders=found,
        **extra,
    )


@router.get("/settings/leaders", response_model=None)
async def leaders_page(request: Request, db: DbDep, who: ViewerDep, found: LeadDep) -> Response:
    """The school's leaders and their roles."""
    done = request.query_params.get("done", "")
    return await _leaders_page(request, db, *found, done=done)


@router.post("/settings/leaders", response_model=None)
async def add_leader(
    request: Request,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add a leader; they sign in by an emailed link to their address."""
    try:
        await school_access.add_leader(db, found[1].id, email, role, name)
    except Invalid as exc:
        form = {"email": email, "name": name, "role": role}
        return await _leaders_page(
            request, db, *found, status=422, errors=field_errors(exc), form=form
        )
    return RedirectResponse("/dashboard/settings/leaders?done=added", status_code=303)


@router.post("/settings/leaders/{leader_id}/role", response_model=None)
async def set_role(
    leader_id: int,
    request: Request,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Change a leader's role; their sessions end, and they sign in again as the new one."""
    try:
        await school_access.set_role(db, found[1].id, leader_id, role)
    except Invalid as exc:
        errors = {f"leader-{leader_id}": exc.detail}
        return await _leaders_page(request, db, *found, status=422, errors=errors)
    return RedirectResponse("/dashboard/settings/leaders?done=role", status_code=303)


@router.post("/settings/leaders/{leader_id}/remove", response_model=None)
async def remove_leader(
    leader_id: int, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """Remove a leader: they cannot sign in any more, and their sessions end."""
    try:
        await school_access.remove_leader(db, found[1].id, leader_id)
    except Invalid as exc:
        errors = {f"leader-{leader_id}": exc.detail}
        return await _leaders_page(request, db, *found, status=422, errors=errors)
    return RedirectResponse("/dashboard/settings/leaders?done=removed", status_code=303)


async def _keys_page(
    request: Request, db: DbDep, who: Viewer, school: School, status: int = 200, **extra: Any
) -> HTMLResponse:
    found = await school_access.keys(db, school.id)
    return page(
        request,
        "dashboard/keys.html",
        status=status,
        who=who,
        school=school,
        keys=found,
        scopes=[(s, SCOPE_WORDS[s]) for s in API_KEY_SCOPES],
        **extra,
    )


@router.get("/settings/keys", response_model=None)
async def keys_page(request: Request, db: DbDep, who: ViewerDep, found: LeadDep) -> Response:
    """The school's API keys: prefixes only; a key's secret is never shown again."""
    return await _keys_page(request, db, *found, done=request.query_params.get("done", ""))


@router.post("/settings/keys", response_model=None)
async def create_key(
    request: Request,
    db: DbDep,
    who: ViewerDep,
    found: LeadDep,
    label: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create a key and show it once, on this response only (never a redirect that
    would put it in an address)."""
    try:
        key = await school_access.create_key(db, found[1].id, label, scopes or [])
    except Invalid as exc:
        form = {"label": label, "scopes": scopes or []}
        return await _keys_page(
            request, db, *found, status=422, errors=field_errors(exc), form=form
        )
    await db.flush()
    return await _keys_page(request, db, *found, new_key=key, new_label=" ".join(label.split()))


@router.get("/settings/keys/{key_id}/revoke", response_model=None)
async def confirm_revoke(
    key_id: int, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """Are you sure? Revoking stops every system that uses the key."""
    key = next((k for k in await school_access.keys(db, found[1].id) if k.id == key_id), None)
    if key is None or key.revoked_at is not None:
        return missing(request, who)
    return page(request, "dashboard/key_revoke.html", who=who, key=key)


@router.post("/settings/keys/{key_id}/revoke", response_model=None)
async def revoke_key(
    key_id: int, request: Request, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """Revoke a key: it stops working at once."""
    await school_access.revoke_key(db, found[1].id, key_id)
    return RedirectResponse("/dashboard/settings/keys?done=revoked", status_code=303)
