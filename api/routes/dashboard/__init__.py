"""The leaders' dashboard: server-rendered pages, every action works without JavaScript,
fine on a phone.

One module per part of the school's work: the event list and an event's page
(events.py), the school calendar (calendar.py), the school's
settings (settings.py; leaders and API keys: access.py), starting a follow-through with a
preview first (new_event.py). Every figure comes from the same report
queries as the JSON API (services/dashboard.py), shown as the viewer's role allows.
Signing in is api/routes/signin.py; a CPD lead's links from their emails are
api/routes/leader_links.py.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.dashboard import (
    access,
    calendar,
    data_requests,
    events,
    manage,
    new_event,
    plans,
    settings,
    teacher,
    trust,
)

router = APIRouter()
for part in (
    events,
    calendar,
    access,
    data_requests,
    manage,
    new_event,
    plans,
    settings,
    teacher,
    trust,
):
    router.include_router(part.router)
