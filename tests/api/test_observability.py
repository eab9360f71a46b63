"""An operator can see what the service does: metrics, JSON logs with context, traces."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cpd.calendar import SchoolCalendar
from cpd.settings import PROJECT_ROOT
from cpd.tracing import temporal_interceptors, tracer_provider
from services import admin
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import SmtpServer, links_of
from tests.support.signin import follow, sign_in_link
from tests.support.stack import TEST_CONVERTER, Stack, StackFactory, running_stack

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(s: Stack) -> Samples:
    page = await s.api.get("/metrics")
    assert page.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_emails_answers_sign_ins_and_time_routes(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        before = await scrape(s)
        body = event(plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        [mail] = await s.smtp.inbox.wait_for(1)
        tap = next(x for x in links_of(mail) if "choice=tried_twice" in x).split("?")[0]
        assert "recorded" in (await s.api.post(tap, data={"choice": "tried_twice"})).text
        await s.api.post(tap, data={"choice": "tried_twice"})  # a double tap: counted once
        await admin.add_leader(s.db, "head@hillside.example", "cpd_lead", school_id=s.school_id)
        link = await sign_in_link(s, "head@hillside.example")
        await follow(link, s.api)
        await follow(link, s.api)  # a link signs in once: the second time is refused
        after = await scrape(s)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("cpd_emails_total", outcome="sent", reason="initial") == 1
    assert grew("cpd_answers_total", channel="link") == 1
    assert grew("cpd_signins_total", method="magic_link", outcome="refused") == 1
    assert grew("cpd_signins_total", method="magic_link", outcome="signed_in") == 1
    event_id = created.json()["id"]
    routes = {
        dict(labels)["route"]
        for name, labels in after
        if name == "cpd_http_request_duration_seconds_count"
    }
    # By route template: never an id or a token from the path.
    assert "/v1/events" in routes and "/a/{token}" in routes
    assert not any(event_id in r or tap.split("/a/")[1] in r for r in routes)


async def test_every_response_carries_a_request_id(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        given = await s.api.get("/healthz", headers={"X-Request-ID": "edge-1234"})
        assert given.headers["x-request-id"] == "edge-1234"
        made = await s.api.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
        assert len(made.headers["x-request-id"]) == 32


def test_logs_are_json_lines_with_what_they_are_about() -> None:
    program = (
        "import logging\n"
        "from cpd import logs\n"
        "logs.setup('api', json_lines=True)\n"
        "logs.REQUEST_ID.set('r-1'); logs.SCHOOL_ID.set('hillside'); logs.EVENT_ID.set('e-9')\n"
        "logging.getLogger('cpd.test').warning('a step was refused')\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", program], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "a step was refused" and line["level"] == "WARNING"
    assert (line["request_id"], line["school_id"], line["event_id"]) == ("r-1", "hillside", "e-9")
    assert line["process"] == "api" and "time" in line


async def test_one_trace_follows_a_trigger_into_the_workflow_and_its_activities(
    dev_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpServer, database_url: str
) -> None:
    spans = InMemorySpanExporter()
    provider = tracer_provider("", "test", exporter=spans)
    assert provider is not None
    target = dev_env.client.service_client.config.target_host
    client = await Client.connect(
        target,
        data_converter=TEST_CONVERTER,
        interceptors=temporal_interceptors(provider),
    )
    async with running_stack(
        client,
        tmp_path,
        smtp,
        SchoolCalendar.always_open(),
        database_url=database_url,
        tracing=provider,
    ) as s:
        body = event(plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        await s.smtp.inbox.wait_for(1)
        await asyncio.sleep(0.5)
    provider.force_flush()
    finished = spans.get_finished_spans()
    request = next(x for x in finished if x.name == "POST /v1/events")
    trace = [x.name for x in finished if x.context.trace_id == request.context.trace_id]
    assert any(name.startswith("StartWorkflow:") for name in trace)
    assert any(name.startswith("RunWorkflow:") for name in trace)
    assert any(name.startswith("RunActivity:") for name in trace)


def test_tracing_is_off_by_default() -> None:
    assert tracer_provider("", "api") is None
    assert temporal_interceptors(None) == []
