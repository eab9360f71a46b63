"""No request can read or change another school's data: a foreign id is simply not found."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from cpd.models import Event, Participant
from tests.support.events import event
from tests.support.stack import StackFactory

CSV = ("people.csv", b"Name,Email\nMallory,mallory@elsewhere.example\n", "text/csv")
# A valid request for every route that takes an id, so only tenancy can refuse it.
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/events/{event_id}"): {},
    ("GET", "/v1/events/{event_id}/participants"): {},
    ("GET", "/v1/events/{event_id}/impact"): {},
    ("GET", "/v1/events/{event_id}/export.csv"): {},
    ("POST", "/v1/events/{event_id}/participants"): {
        "json": {"participants": [{"name": "Mallory", "email": "mallory@elsewhere.example"}]}
    },
    ("POST", "/v1/events/{event_id}/participants.csv"): {"files": {"file": CSV}},
    ("POST", "/v1/events/{event_id}/cancel"): {},
    ("POST", "/v1/events/{event_id}/pause"): {},
    ("POST", "/v1/events/{event_id}/resume"): {},
    ("GET", "/v1/events/{event_id}/participants/{participant_id}"): {},
    ("POST", "/v1/events/{event_id}/participants/{participant_id}/pause"): {
        "json": {"reason": "x"}
    },
    ("POST", "/v1/events/{event_id}/participants/{participant_id}/resume"): {},
    ("DELETE", "/v1/events/{event_id}/participants/{participant_id}"): {},
    ("PUT", "/v1/events/{event_id}/participants/{participant_id}/email"): {
        "json": {"email": "mallory@elsewhere.example"}
    },
    ("POST", "/v1/events/{event_id}/participants/{participant_id}/support"): {
        "json": {"status": "supported"}
    },
    ("DELETE", "/v1/events/{event_id}/participants/{participant_id}/data"): {},
}


def routes_with_ids(app: Any) -> set[tuple[str, str]]:
    """Every documented route that takes an id (the OpenAPI document lists them all)."""
    return {
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        if "{event_id}" in path
        for method in methods
    }


async def test_every_route_with_an_id_refuses_another_schools_key(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        assert routes_with_ids(s.app) == set(REQUESTS), "a new route needs an isolation check"
        mine = (await s.api.post("/v1/events", json=event(), headers=s.auth())).json()
        await s.smtp.inbox.wait_for(1)
        async with s.db() as session:
            [ada] = (await session.exec(select(Participant))).all()
        _, their_key = await s.new_school()
        theirs = (
            await s.api.post("/v1/events", json=event("theirs"), headers=s.auth(their_key))
        ).json()

        for (method, path), kwargs in REQUESTS.items():
            url = path.format(event_id=mine["id"], participant_id=ada.id)
            answer = await s.api.request(method, url, headers=s.auth(their_key), **kwargs)
            assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
            assert answer.json()["error"] == "not_found"
            # Their own event id with my participant id is no way in either.
            if "{participant_id}" in path:
                mixed = path.format(event_id=theirs["id"], participant_id=ada.id)
                answer = await s.api.request(method, mixed, headers=s.auth(their_key), **kwargs)
                assert answer.status_code == 404, (method, path, "mixed ids")

        # Nothing of mine changed.
        async with s.db() as session:
            [still] = (
                await session.exec(select(Participant).where(Participant.id == ada.id))
            ).all()
            my_event = await session.get(Event, mine["id"])
            count = len(
                (
                    await session.exec(
                        select(Participant).where(Participant.event_id == mine["id"])
                    )
                ).all()
            )
        assert still.email == "ada@hillside.example" and not still.paused
        assert my_event is not None and my_event.cancelled_at is None
        assert count == 1
        detail = await s.api.get(f"/v1/events/{mine['id']}/participants/{ada.id}", headers=s.auth())
        assert detail.json()["timeline"]["withdrawn"] is False
        assert detail.json()["timeline"]["paused"] is False
        # The steps in words beside their ids (the default plan).
        assert detail.json()["step_titles"]["checkin-week-2"] == "Week 2 check-in"
        listed = (await s.api.get("/v1/events", headers=s.auth(their_key))).json()["items"]
        assert [e["id"] for e in listed] == [theirs["id"]]
