"""GDPR erasure reaches workflow state, projections and stored evidence."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import col, func, select
from temporalio.service import RPCError, RPCStatusCode

from cpd.models import Answer, EmailBudgetSlot, EmailSend, Evidence, Participant
from tests.support.census import running_and_recounted
from tests.support.events import event
from tests.support.evidence import EVIDENCE_PLAN, PEOPLE, PNG, links_for, stored_files
from tests.support.stack import Stack, StackFactory


async def count(s: Stack, model: type, participant: Participant) -> int:
    """Rows about one participant; budget slots are keyed by the workflow's send keys."""
    if model is EmailBudgetSlot:
        where = col(EmailBudgetSlot.send_key).startswith(f"{participant.workflow_id}:")
    else:
        where = col(model.participant_id) == participant.id  # type: ignore[attr-defined]
    async with s.db() as session:
        return int((await session.exec(select(func.count()).select_from(model).where(where))).one())


async def test_erasing_a_teacher_removes_them_everywhere(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        created = await s.api.post(
            "/v1/events", json=event(plan=EVIDENCE_PLAN, people=PEOPLE), headers=s.auth()
        )
        event_id = created.json()["id"]
        answer, portfolio = await links_for(s, "ada@")
        await s.api.post(answer, data={"text": "Quiz"}, files={"file": ("q.png", PNG, "image/png")})
        async with s.db() as session:
            ada = (
                await session.exec(
                    select(Participant).where(Participant.email == "ada@hillside.example")
                )
            ).one()
        for model in (Answer, Evidence, EmailSend, EmailBudgetSlot):
            assert await count(s, model, ada) == 1, model
        assert len(stored_files(s)) == 1

        async def evidence_rate() -> tuple[int, int]:
            status = (await s.api.get(f"/v1/events/{event_id}", headers=s.auth())).json()
            [step] = status["steps"]
            return step["sent"], step["answered"]

        assert await evidence_rate() == (2, 1)
        erased = await s.api.delete(
            f"/v1/events/{event_id}/participants/{ada.id}/data", headers=s.auth()
        )
        assert erased.status_code == 200
        assert erased.json() == {
            "participants": 1,
            "workflow_runs": 1,
            "answers": 1,
            "evidence": 1,
            "emails": 1,
        }

        for model in (Answer, Evidence, EmailSend, EmailBudgetSlot):
            assert await count(s, model, ada) == 0, model
        assert await evidence_rate() == (1, 0)  # she is out of the totals too
        running, recounted = await running_and_recounted(s.db, event_id)
        assert running == recounted and sum(stage[1] for stage in running) == 1
        assert stored_files(s) == []
        deadline = time.monotonic() + 90
        while True:  # the server deletes histories in the background (about 30 s here)
            try:
                await s.client.get_workflow_handle(ada.workflow_id).describe()
            except RPCError as exc:
                assert exc.status is RPCStatusCode.NOT_FOUND
                break
            assert time.monotonic() < deadline, "history still there"
            await asyncio.sleep(1)
        # Her links, portfolio and record are gone; Alan's are untouched.
        assert (await s.api.get(portfolio)).status_code == 400
        assert (
            await s.api.get(f"/v1/events/{event_id}/participants/{ada.id}", headers=s.auth())
        ).status_code == 404
        people = (await s.api.get(f"/v1/events/{event_id}/participants", headers=s.auth())).json()[
            "items"
        ]
        assert [p["email"] for p in people] == ["alan@hillside.example"]
        again = await s.api.delete(
            f"/v1/events/{event_id}/participants/{ada.id}/data", headers=s.auth()
        )
        assert again.status_code == 404


async def test_erasure_by_email_covers_every_event_at_the_school(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        for ref in ("autumn", "spring"):
            await s.api.post("/v1/events", json=event(ref, people=PEOPLE), headers=s.auth())
        await s.smtp.inbox.wait_for(4)
        erased = await s.api.post(
            "/v1/school/erasure", json={"email": "ADA@hillside.example"}, headers=s.auth()
        )
        assert erased.json()["participants"] == 2
        async with s.db() as session:
            left = (await session.exec(select(Participant.email))).all()
        assert sorted(left) == ["alan@hillside.example", "alan@hillside.example"]
        bad = await s.api.post(
            "/v1/school/erasure", json={"email": "not-an-email"}, headers=s.auth()
        )
        assert bad.status_code == 422
