"""Private means private: walk every route, export, page and the workflow engine's history
as each kind of reader, and find no word a teacher kept to themselves."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import pytest
from fastapi.routing import APIRoute
from sqlmodel import select

from cpd.models import Participant
from devtools import servers
from run.inbound import serve
from services import admin
from tests.support.events import days_ago
from tests.support.inbox import free_port, links_of
from tests.support.routes import every_route
from tests.support.signin import sign_in
from tests.support.stack import TEST_SECRET, Stack, StackFactory

PLAN = {
    "id": "reflect",
    "name": "Reflect",
    "steps": [
        {"id": "reflection", "kind": "reflection", "offset_days": 0},
        # A step to come, so each follow-through is still running when its controls are used.
        {"id": "later", "kind": "impact_check", "offset_days": 60, "guskey_level": 4},
    ],
}
PEOPLE = [
    {"name": "Ada Lovelace", "email": "ada@hillside.example"},  # answers privately, by link
    {"name": "Alan Turing", "email": "alan@hillside.example"},  # answers by email reply
    {"name": "Grace Hopper", "email": "grace@hillside.example"},  # ticks "share"
]
# Routes whose reader is the teacher themself (their own words are theirs to see), and
# a leader's sign-in, summary opt-out and level 3 question pages (no teacher's words).
NOT_THE_SCHOOLS = (
    "/a/",
    "/u/",
    "/p/",
    "/s/",
    "/dashboard/auth/",
    "/dashboard/digest/",
    "/dashboard/level3/",
)


def _reply(text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Alan Turing <alan@hillside.example>"
    msg["Subject"] = "Re: Looking back"
    msg.set_content(text + "\n\nSent from my iPhone\n")
    return msg


async def _run(*command: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, _ = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode == 0, command
    return out.decode()


def _payload_bytes(document: Any) -> bytes:
    """Every payload's data in a history, base64 undone: what anyone with the CLI can read."""
    if isinstance(document, list):
        return b"".join(_payload_bytes(item) for item in document)
    if not isinstance(document, dict):
        return b""
    if isinstance(document.get("metadata"), dict) and isinstance(document.get("data"), str):
        return base64.b64decode(document["data"]) + b"\n"
    return b"".join(_payload_bytes(value) for value in document.values())


def test_the_history_check_sees_words_that_are_not_encrypted() -> None:
    # A history recorded before payloads were encrypted: the same check finds its words.
    histories = Path(__file__).parents[1] / "workflows" / "histories"
    old = histories / "participant-whole-school-year.history.json"
    assert b"Retrieval practice" in _payload_bytes(json.loads(old.read_text()))


async def _get_every_route(client: httpx.AsyncClient, s: Stack, ids: dict[str, str]) -> str:
    """Every GET the app has, with this event's ids, as this client: the bodies, joined."""
    paths = set()
    for route in every_route(s.app.routes):
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or set()):
            continue
        if route.path.startswith(NOT_THE_SCHOOLS):
            continue
        # The school's own ids; a settings page's ids (a plan, a key, a leader) hold no words.
        values = {
            "event_id": ids["event"],
            "school_id": s.school_id,
            "plan_id": "whole-school-inset",
            "key_id": "1",
            "leader_id": "1",
        }
        assert set(route.param_convertors) <= {*values, "participant_id"}, route.path
        for pid in ids["participants"]:
            paths.add(route.path.format(participant_id=pid, **values))
    bodies = []
    for path in sorted(paths):
        response = await client.get(path, headers=s.auth())
        assert response.status_code < 500, path
        bodies.append(f"{path}\n{response.text}")
    return "\n".join(bodies)


@pytest.mark.timeout(240)
async def test_no_private_word_leaves_through_any_route_export_page_log_or_history(
    dev_stack: StackFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    private_link = f"kept-to-myself-{uuid.uuid4().hex[:8]}"
    private_reply = f"emailed-thought-{uuid.uuid4().hex[:8]}"
    shared = f"shared-with-lead-{uuid.uuid4().hex[:8]}"
    port = free_port()
    async with dev_stack(inbound_smtp_port=port) as s:
        server = await serve(s.settings, s.db, s.client, s.app.state.resources.mailer)
        try:
            body = {
                "reference": "r",
                "title": "Coaching",
                "event_date": days_ago(12),
                "plan": PLAN,
                "participants": PEOPLE,
            }
            created = await s.api.post("/v1/events", json=body, headers=s.auth())
            event_id = created.json()["id"]
            for who, text, share in (("ada@", private_link, ""), ("grace@", shared, "yes")):
                [mail] = await s.smtp.inbox.wait_for(1, who)
                link = next(x for x in links_of(mail) if "/a/" in x)
                data = {"text": text, **({"share": share} if share else {})}
                assert "recorded" in (await s.api.post(link, data=data)).text
            [mail] = await s.smtp.inbox.wait_for(1, "alan@")
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
                await smtp.mail("alan@hillside.example")
                await smtp.rcpt(str(mail["Reply-To"]))
                assert (await smtp.data(_reply(private_reply).as_bytes())).code == 250
        finally:
            server.close()

        async with s.db() as session:
            people = (await session.exec(select(Participant))).all()
        ids = {"event": event_id, "participants": [p.id for p in people]}
        secrets = (private_link, private_reply)

        # The school's API key (the CPD lead's integration): shared words, never private ones.
        seen = await _get_every_route(s.api, s, ids)
        assert shared in seen
        assert not any(text in seen for text in secrets)
        for p in people:  # the controls that answer with the live timeline
            url = f"/v1/events/{event_id}/participants/{p.id}"
            for response in (
                await s.api.post(url + "/pause", json={"reason": "leave"}, headers=s.auth()),
                await s.api.post(url + "/resume", headers=s.auth()),
                await s.api.put(url + "/email", json={"email": f"new.{p.email}"}, headers=s.auth()),
            ):
                assert response.status_code == 200, response.text
                assert not any(text in response.text for text in secrets)

        # Each kind of leader, signed in to the dashboard.
        await admin.create_trust(s.db, "oak", "Oak Trust", [s.school_id])
        readers = {
            "cpd_lead": ("lead@hillside.example", {"school_id": s.school_id}),
            "leader": ("head@hillside.example", {"school_id": s.school_id}),
            "trust": ("ceo@oak.example", {"trust_id": "oak"}),
        }
        for role, (email, scope) in readers.items():
            await admin.add_leader(s.db, email, role, **scope)
            transport = httpx.ASGITransport(app=s.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                await sign_in(s, email, c)
                pages = (await c.get("/dashboard")).text
                pages += (await c.get(f"/dashboard/events/{event_id}")).text
                # The CPD lead's pages for managing the event and each teacher's timeline.
                pages += (await c.get(f"/dashboard/events/{event_id}/people")).text
                for pid in ids["participants"]:
                    pages += (await c.get(f"/dashboard/events/{event_id}/people/{pid}")).text
                for trust_page in ("/dashboard/trust", f"/dashboard/trust/schools/{s.school_id}"):
                    for path in (trust_page, f"{trust_page}/export.csv"):
                        pages += (await c.get(path)).text
                assert "Coaching" in pages, role
                assert not any(text in pages for text in secrets), role
                # "Shared with my CPD lead" is for the CPD lead alone.
                assert (shared in pages) == (role == "cpd_lead"), role

        # The workflow engine's own record, as an operator with the Temporal CLI reads it.
        cli = servers.temporal_cli()
        assert cli is not None
        address = s.client.service_client.config.target_host
        for p in people:
            show = ["workflow", "show", "-w", p.workflow_id, "--address", address, "-o", "json"]
            shown = await _run(str(cli), *show)
            opened = _payload_bytes(json.loads(shown))
            assert opened, "the history holds payloads"
            assert not any(text.encode() in opened for text in (*secrets, shared, p.email, p.name))
        # An operator with this deployment's keys can read it, for debugging.
        keys = {"CPD_ENVIRONMENT": "test", "CPD_SECRET_KEY": TEST_SECRET}
        decoded = await _run(sys.executable, "-m", "run.cli", "decode", stdin=shown, env=keys)
        assert people[-1].name in decoded and "ParticipantWorkflow" in decoded

    # Nothing a teacher wrote, shared or not, is ever logged.
    leaked = [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in caplog.records
        if any(text in r.getMessage() for text in (*secrets, shared))
    ]
    assert leaked == []
