"""The leaders' dashboard: server-rendered pages, every action works without JavaScript,
fine on a phone.

One module per part of the school's work: the home page and an event's figures
(events.py), starting a follow-through with its preview (new_event.py), running one
(manage.py for the event, teacher.py for one teacher), data requests (data_requests.py),
the calendar (calendar.py), settings (settings.py; leaders and keys in access.py), the
school's own plans (plans.py) and the trust's views (trust.py). Every figure comes from
the same report queries as the JSON API, shown as the viewer's role allows. Signing in
is api/routes/signin.py; a CPD lead's links from their emails are
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
