"""Leaders' reads at scale: event status and impact summary for a 5,000-teacher event.

Served from the projection in the app DB (SQLite here, as in the embedded
default), against the trivial /healthz of the same app in the same run.
Run: python -m bench.reports
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from api.app import create_app
from bench.sections import machine, write_section
from cpd import admin, temporal_envs
from cpd.builtin_plans import BUILTIN_PLANS, DEFAULT_PLAN_ID
from cpd.db import create_engine, create_sessionmaker, create_tables
from cpd.models import Answer, EmailSend, Event, Participant, StepCount
from cpd.plans import StepKind, choices_for
from cpd.settings import Settings

TEACHERS = 5000
WARM_UP, REQUESTS = 50, 400
STAGES = ["waiting"] * 6 + ["awaiting_answer"] * 3 + ["paused", "withdrawn", "completed"]


async def seed(settings: Settings) -> tuple[str, str]:
    """A school, its key, and one event of TEACHERS people part-way through the year."""
    engine = create_engine(settings.resolved_database_url)
    await create_tables(engine)
    db = create_sessionmaker(engine)
    await admin.create_school(db, "bench", "Bench Academy")
    key = await admin.create_key(db, "bench")
    plan = BUILTIN_PLANS[DEFAULT_PLAN_ID]
    rng = random.Random(7)
    now = datetime.now(UTC)
    people: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    sends: list[dict[str, Any]] = []
    for i in range(TEACHERS):
        pid = f"p{i:07d}"
        people.append(
            {
                "id": pid,
                "event_id": "bench-event",
                "school_id": "bench",
                "email": f"t{i}@bench.example",
                "name": f"Teacher {i:05d}",
                "workflow_id": f"cpd-bench-event-{pid}",
                "stage": rng.choice(STAGES),
                "needs_help": rng.random() < 0.05,
                "email_bounced": rng.random() < 0.01,
                "missed_count": rng.randint(0, 2),
                "paused": rng.random() < 0.02,
                "batch": 0,
                "updated_at": now,
            }
        )
        for step in plan.steps[:9]:  # the first nine steps have been sent
            sends.append(
                {
                    "send_key": f"cpd-bench-event-{pid}:{step.id}:initial",
                    "participant_id": pid,
                    "event_id": "bench-event",
                    "purpose": "initial",
                    "step_id": step.id,
                    "reply_code": "",
                    "message_id": f"<{pid}{step.id}@b>",
                    "to_addr": f"t{i}@bench.example",
                    "subject": "",
                    "status": "sent",
                    "error": "",
                    "created_at": now,
                    "sent_at": now,
                }
            )
            if rng.random() < 0.7:
                choices = choices_for(step.kind) or ("",)
                answers.append(
                    {
                        "participant_id": pid,
                        "event_id": "bench-event",
                        "school_id": "bench",
                        "step_id": step.id,
                        "choice": rng.choice(choices),
                        "text": "" if step.kind is not StepKind.REFLECTION else "ok",
                        "fields_json": "{}",
                        "late": rng.random() < 0.1,
                        "shared": True,
                        "answered_at": now - timedelta(days=rng.randint(0, 200)),
                    }
                )
    async with engine.begin() as conn:
        await conn.execute(
            insert(Event),
            [
                {
                    "id": "bench-event",
                    "school_id": "bench",
                    "reference": "bench",
                    "title": "Bench",
                    "plan_id": plan.id,
                    "plan_json": plan.model_dump_json(),
                    "event_date": date(2026, 1, 5),
                    "created_at": now,
                }
            ],
        )
        await conn.execute(insert(Participant), people)
        await conn.execute(insert(EmailSend), sends)
        await conn.execute(insert(Answer), answers)
        # The running totals the activities would have kept (cpd/counters.py).
        totals: dict[str, dict[str, int]] = {}
        for row in sends:
            totals.setdefault(row["step_id"], {"sent": 0, "answered": 0, "late": 0})["sent"] += 1
        for row in answers:
            totals[row["step_id"]]["answered"] += 1
            totals[row["step_id"]]["late"] += int(row["late"])
        await conn.execute(
            insert(StepCount),
            [{"event_id": "bench-event", "step_id": k, **v} for k, v in totals.items()],
        )
    await engine.dispose()
    return key, "bench-event"


async def latencies(api: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[float]:
    for _ in range(WARM_UP):
        assert (await api.get(url, headers=headers)).status_code == 200
    out = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = await api.get(url, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure() -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(environment="test", data_dir=Path(folder), secret_key="b" * 40)
        key, event_id = await seed(settings)
        async with temporal_envs.time_skipping() as env:
            app = create_app(settings, env.client)
            auth = {"Authorization": f"Bearer {key}"}
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://b"
                ) as api,
            ):
                runs = {
                    "trivial (/healthz)": await latencies(api, "/healthz", {}),
                    "event status": await latencies(api, f"/v1/events/{event_id}", auth),
                    "impact summary": await latencies(api, f"/v1/events/{event_id}/impact", auth),
                }
    return {
        name: {"p50": statistics.median(v), "p99": pct(v, 99), "mean": statistics.fmean(v)}
        for name, v in runs.items()
    }


def write(figures: dict[str, dict[str, float]]) -> None:
    trivial = figures["trivial (/healthz)"]["p99"]
    rows = "\n".join(
        f"| {name} | {f['p50']:.1f} | {f['p99']:.1f} | {f['p99'] / trivial:.1f}× |"
        for name, f in figures.items()
    )
    worst = max(f["p99"] for name, f in figures.items() if not name.startswith("trivial"))
    worst_ratio = max(
        f["p99"] / trivial for name, f in figures.items() if not name.startswith("trivial")
    )
    met = worst <= 50 and worst_ratio <= 3
    write_section(
        "reports",
        f"""
## Leaders' reads for a 5,000-teacher event (issue 5)

Rerun: `.venv/bin/python -m bench.reports`. Measured {machine()}.

One event of {TEACHERS} teachers part-way through the default plan: {TEACHERS * 9} email
records and about {int(TEACHERS * 9 * 0.7)} answers, in SQLite (the embedded default).
{REQUESTS} sequential requests per endpoint after {WARM_UP} to warm up, in process
(httpx ASGI transport), so the figures are the app and its database, not a network.

| Endpoint | p50 (ms) | p99 (ms) | p99 against trivial |
|---|---|---|---|
{rows}

Target: p99 at 50 ms or less and no more than 3× the trivial endpoint:
**{"met" if met else "NOT met"}** (worst p99 {worst:.1f} ms, {worst_ratio:.1f}×).

The 50 ms bound holds. The 3× bound does not: in process the trivial endpoint costs
well under a millisecond, so 3× leaves no room for any database query at all. The event
status reads a few running totals (per step, kept by the activities), counts per stage
and five capped name lists from indexed projection rows; most of its time is the five
small queries through aiosqlite's thread hop and building the JSON. Over real HTTP the
trivial endpoint's own cost grows and the ratio shrinks, but that would flatter the
figure rather than change the work.
""",
    )


if __name__ == "__main__":
    results = asyncio.run(measure())
    write(results)
    print(results)
