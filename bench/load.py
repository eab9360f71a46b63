"""Load on the embedded stack: leaders reading while teachers answer, for two minutes.

    .venv/bin/python -m bench.load            # --help for the rate, length and leaders

The stack is what ``cpd dev`` runs, each part as it runs it, on free ports and in a
temporary folder: the Temporal dev server persisting to a SQLite file, ``python -m
run.worker`` (both lanes), the API under uvicorn (``api.app:serve_app``), the dev SMTP
server keeping every message in a Maildir, and SQLite for the app. One school, open all
hours, triggers events through ``POST /v1/events``; every teacher's first email (the
action plan) arrives in the Maildir, and the check-in links are read from those emails.

Then locust (bench/locustfile.py, headless, in a process of its own) runs leaders
reading status, impact and people through the API and the dashboard, teachers answering
at a constant rate (each a different teacher: GET the emailed link, POST the answer),
and /healthz sampled beside them. Afterwards the answers are counted in the app database
and in the status a leader reads. Only this benchmark's section of docs/BENCHMARKS.md is
rewritten.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import psutil
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from bench.reports import pct
from bench.sections import machine, write_section
from bench.smtp_sink import _free_port
from bench.stack import event_body
from cpd.calendar import SchoolCalendar
from cpd.db import create_engine, create_sessionmaker, unit_of_work
from cpd.names import SEARCH_ATTRIBUTES
from cpd.schema import migrate
from cpd.settings import PROJECT_ROOT, Settings
from devtools import mailbox, servers
from services import admin, sessions, signin

SECTION = "load"
LEAD = "lead@load.bench.example"
PER_EVENT = 2500  # teachers per POST /v1/events
ACTION_PLAN = {
    "context": "Three retrieval questions at the start of each lesson",
    "class_name": "9X2",
    "frequency": "Every lesson",
    "duration": "Five minutes",
}
TRIVIAL = "trivial (/healthz)"
POST = "teacher: answer (POST)"


def say(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


@dataclass
class Running:
    """The stack's processes, and what to stop on the way out."""

    folder: Path
    settings: Settings
    base: str
    temporal: WorkflowEnvironment
    smtp: Any
    children: dict[str, Popen[bytes]] = field(default_factory=dict)

    def stop(self) -> None:
        for child in reversed(self.children.values()):
            if child.poll() is None:
                child.terminate()
            with suppress(subprocess.TimeoutExpired):
                child.wait(timeout=30)
            if child.poll() is None:
                child.kill()
        self.smtp.stop()


def start_processes(folder: Path, settings: Settings, api_port: int) -> dict[str, Popen[bytes]]:
    """The worker and the API, started as `cpd dev` starts them."""
    metrics = folder / "metrics"
    metrics.mkdir()
    # The API's /metrics adds up what every process counts, as under `cpd dev`.
    env = {**os.environ, **settings.as_environment(), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    py = sys.executable
    log = open(folder / "processes.log", "ab")  # noqa: SIM115 - the children's for their life
    api = [py, "-m", "uvicorn", "api.app:serve_app", "--factory", "--host", "127.0.0.1"]
    api += ["--port", str(api_port), "--log-level", "warning"]
    return {
        name: subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log)  # noqa: S603
        for name, command in (("worker", [py, "-m", "run.worker"]), ("API", api))
    }


async def start_stack(folder: Path, leaders: int) -> tuple[Running, School]:
    """The parts ``cpd dev`` starts (run/devstack.py), on free ports."""
    binary = servers.temporal_cli()
    temporal = await WorkflowEnvironment.start_local(
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=str(binary) if binary else None,
        dev_server_database_filename=str(folder / "temporal.db"),
        dev_server_log_level="warn",
    )
    api_port, smtp_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{api_port}"
    settings = Settings(
        environment="development",
        data_dir=folder,
        public_base_url=base,
        temporal_address=temporal.client.service_client.config.target_host,
        smtp_port=smtp_port,
        dev_mailbox_dir=folder / "mailbox",
        # Seeding only: every first email goes out as fast as the worker can send it,
        # so the run can begin minutes sooner. Answers send nothing.
        smtp_rate_per_second=0,
        fan_out_begin_per_second=0,
    )
    smtp = mailbox.start_smtp_server(folder / "mailbox", "127.0.0.1", smtp_port)
    running = Running(folder, settings, base, temporal, smtp)
    school = await seed_school(settings, leaders)  # migrates first, as `cpd dev` does
    running.children = start_processes(folder, settings, api_port)
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(1200):
            with suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return running, school
            await asyncio.sleep(0.1)
    running.stop()
    await temporal.shutdown()
    log = (folder / "processes.log").read_text()[-3000:]
    raise SystemExit(f"the API did not start within 120 s:\n{log}")


@dataclass
class School:
    key: str
    sessions: list[str]


async def seed_school(settings: Settings, leaders: int) -> School:
    """The school, its key, its CPD lead, and a dashboard session per leader (started as
    the emailed sign-in link starts one, services/signin.py and services/sessions.py)."""
    engine = create_engine(settings.resolved_database_url)
    try:
        await migrate(engine)  # as `cpd dev` does before it starts the API and worker
        db = create_sessionmaker(engine)
        await admin.create_school(db, "load", "Load Academy", SchoolCalendar.always_open())
        key = await admin.create_key(db, "load", "load bench")
        await admin.add_leader(db, LEAD, "cpd_lead", school_id="load")
        tokens = []
        for _ in range(leaders):
            async with unit_of_work(db) as session:
                (choice,) = await signin.choices(session, LEAD)
                viewer = signin.viewer(LEAD, choice, None, several=False)
                tokens.append(await sessions.start(session, viewer))
        return School(key, tokens)
    finally:
        await engine.dispose()


async def trigger_events(base: str, key: str, teachers: int) -> list[str]:
    """Events of at most PER_EVENT teachers each, dated yesterday: every action plan is due."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    ids = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        for n in range(math.ceil(teachers / PER_EVENT)):
            size = min(PER_EVENT, teachers - n * PER_EVENT)
            body = event_body(size, yesterday, f"e{n}")
            response = await http.post(
                "/v1/events", json=body, headers={"Authorization": f"Bearer {key}"}
            )
            if response.status_code != 201:
                raise SystemExit(f"POST /v1/events: {response.status_code} {response.text[:300]}")
            ids.append(str(response.json()["id"]))
    return ids


def delivered(maildir: Path) -> list[Path]:
    return [p for p in (maildir / "new").iterdir() if not p.name.startswith(".")]


async def wait_for_first_emails(maildir: Path, teachers: int, deadline_s: float) -> float:
    t0 = time.perf_counter()
    seen = 0
    while seen < teachers and time.perf_counter() - t0 < deadline_s:
        await asyncio.sleep(5)
        seen = len(delivered(maildir))
        elapsed = time.perf_counter() - t0
        if int(elapsed) % 30 < 5:
            say(f"{seen} of {teachers} first emails after {elapsed:.0f} s")
    return time.perf_counter() - t0


def cpu_s(proc: psutil.Process) -> float:
    """CPU seconds the process has used, user and system."""
    times = proc.cpu_times()
    return times.user + times.system


async def wait_until_quiet(worker: psutil.Process, deadline_s: float, cores: float = 0.05) -> float:
    """Wait until the worker has used under ``cores`` of a core for five seconds: a first
    email is not the end of a start (its projection and the fan-out's own tasks follow),
    and answers measured against a worker still seeding measure the seeding."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < deadline_s:
        before = cpu_s(worker)
        await asyncio.sleep(5)
        if cpu_s(worker) - before < 5 * cores:
            break
    return time.perf_counter() - t0


def check_in_links(maildir: Path) -> tuple[list[str], int, int]:
    """Each teacher's check-in link, read from their email; how many emails teachers got (not
    the CPD lead's), and how many of those were a second to the same teacher."""
    links: dict[str, str] = {}
    received: Counter[str] = Counter()
    for path in delivered(maildir):
        message = mailbox.parse(path.read_bytes())
        to = str(message.get("To", ""))
        if "@bench.example" not in to:
            continue
        received[to] += 1
        found = [u for u in mailbox.links_in(mailbox.body_of(message, "plain")) if "/a/" in u]
        if found:
            links[to] = found[0]
    twice = sum(n - 1 for n in received.values())
    return list(links.values()), received.total(), twice


def stack_pids(running: Running) -> dict[str, int]:
    pids = {name: child.pid for name, child in running.children.items()}
    for child in psutil.Process().children():
        if "temporal" in child.name():  # the dev server the SDK started for us
            pids["Temporal dev server"] = child.pid
    return pids


class Meter:
    """CPU of each process of the stack over the run, and the machine's load average."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.loads: list[float] = []

    def _cpu(self) -> dict[str, float]:
        found = {}
        for name, proc in self.procs.items():
            with suppress(psutil.Error):
                found[name] = cpu_s(proc)
        return found

    def start(self) -> Meter:
        self.t0, self.before = time.perf_counter(), self._cpu()
        self.busy0 = _busy()
        return self

    async def sample_load(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.loads.append(os.getloadavg()[0])
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 10)

    def cores(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        after = self._cpu()
        shares = {name: (after[name] - self.before.get(name, 0.0)) / wall for name in after}
        shares["anything else on the machine"] = max(
            0.0, (_busy() - self.busy0) / wall - sum(shares.values())
        )
        return shares


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _busy() -> float:
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def run_locust(running: Running, plan: dict[str, Any], seconds: int) -> tuple[Popen[bytes], Path]:
    plan_file = running.folder / "plan.json"
    plan_file.write_text(json.dumps(plan))
    users = plan["leaders"] + plan["teacher_users"] + 1
    command = [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py"))]
    command += ["--headless", "--host", running.base, "-u", str(users), "-r", "100"]
    command += ["--run-time", f"{seconds}s", "--stop-timeout", "10", "--only-summary"]
    command += ["--loglevel", "WARNING"]
    env = {**os.environ, "CPD_LOAD_PLAN": str(plan_file)}
    log = open(running.folder / "locust.log", "wb")  # noqa: SIM115 - the child's for its life
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), plan_file  # noqa: S603


async def answers_seen(
    settings: Settings, base: str, key: str, events: list[str]
) -> dict[str, int]:
    """The answers in the app database, and in the status a leader reads."""
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            rows, distinct = (
                await conn.execute(
                    text(
                        "SELECT count(*), count(DISTINCT participant_id || ':' || step_id)"
                        " FROM answer WHERE school_id = 'load'"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    answered = 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for event in events:
            status = await http.get(
                f"/v1/events/{event}", headers={"Authorization": f"Bearer {key}"}
            )
            answered += sum(step["answered"] for step in status.json()["steps"])
    return {"rows": int(rows), "distinct": int(distinct), "status_answered": answered}


async def settled_answers(
    running: Running, key: str, events: list[str], settle_s: float
) -> dict[str, int]:
    """The answers once the last ones in flight have landed: counted until two counts a
    settle apart agree (at most a minute), so the database and the leaders' status are
    compared on the same answers."""
    seen: dict[str, int] = {}
    for _ in range(max(1, round(60 / max(settle_s, 1)))):
        await asyncio.sleep(settle_s)
        now = await answers_seen(running.settings, running.base, key, events)
        if now == seen:
            break
        seen = now
    return seen


@dataclass
class Result:
    args: argparse.Namespace
    teachers: int
    emails: int
    seed_s: float
    events: int
    figures: dict[str, dict[str, float]]
    posted: int
    links: int
    links_out_s: float | None
    seen: dict[str, int]
    cores: dict[str, float]
    loads: list[float]
    load_before: float
    wall_s: float
    failures: dict[str, int]
    sizes: dict[str, int]
    seed_cores: dict[str, float]
    tables: dict[str, tuple[int, int]]
    error_kinds: dict[str, int] = field(default_factory=dict)
    quiet_s: float = 0.0
    # The worker's CPU from locust's start until the answers were counted.
    worker_cpu_s: float = 0.0
    twice: int = 0  # teachers' first emails delivered a second time


Figures = dict[str, dict[str, float]]


def table_sizes(path: Path) -> dict[str, tuple[int, int]]:
    """Rows and bytes (with the table's indexes) of each of the app's tables that grow
    with teachers, from SQLite's dbstat."""
    with closing(sqlite3.connect(path)) as db:
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE tbl_name != ''"))
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            found[owner.get(name, name)][1] += int(size)
        for table in list(found):
            if table in owner.values() and not table.startswith("sqlite_"):
                (found[table][0],) = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
    return {t: (rows, size) for t, (rows, size) in found.items() if rows >= 1000}


def error_kinds(errors: list[str]) -> dict[str, int]:
    """Failures by endpoint and what they got, told apart by their status and error code."""
    kinds: dict[str, int] = defaultdict(int)
    for error in errors:
        kinds[re.sub(r"\s+", " ", error)[:220]] += 1
    return dict(kinds)


def file_sizes(folder: Path) -> dict[str, int]:
    """Bytes on disk of the app database and the dev server's, WAL files included."""
    return {
        name: sum(p.stat().st_size for p in folder.glob(f"{name}*"))
        for name in ("app.db", "temporal.db")
    }


def figures_of(samples: list[list[Any]], seconds: float) -> tuple[Figures, dict[str, int]]:
    by_name: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for name, ms, failed in samples:
        by_name[name].append(ms)
        failures[name] += int(failed)
    figures = {
        name: {
            "requests": len(v),
            "errors": failures[name],
            "per_s": len(v) / seconds,
            "p50": statistics.median(v),
            "p99": pct(v, 99),
        }
        for name, v in sorted(by_name.items())
    }
    return figures, dict(failures)


async def measure(args: argparse.Namespace) -> Result:
    # One link for every answer the run asks for, unless told fewer (a machine that
    # cannot reach the rate needs fewer, and seeding costs a first email each).
    teachers = args.teachers or math.ceil(args.rate * args.seconds * 1.05)
    with tempfile.TemporaryDirectory(prefix="cpd-load-") as tmp:
        folder = Path(tmp)
        say("starting the embedded stack (Temporal dev server, worker, API, SMTP, SQLite)")
        running, school = await start_stack(folder, args.leaders)
        try:
            seeding = Meter(stack_pids(running)).start()
            t0 = time.perf_counter()
            events = await trigger_events(running.base, school.key, teachers)
            say(f"{len(events)} events, {teachers} teachers: waiting for their first emails")
            await wait_for_first_emails(folder / "mailbox", teachers, args.seed_deadline)
            # The wait counts every delivery, the CPD lead's too; the links are read once
            # the worker is quiet, so the last teachers' emails are among them.
            worker = psutil.Process(running.children["worker"].pid)
            emails_s = time.perf_counter() - t0
            quiet_s = await wait_until_quiet(worker, max(args.seed_deadline - emails_s, 5))
            say(f"the worker was quiet {quiet_s:.0f} s after the wait for emails ended")
            seed_s = time.perf_counter() - t0
            seed_cores = seeding.cores()
            links, emails, twice = check_in_links(folder / "mailbox")
            say(f"{len(links)} check-in links from {emails} teachers' emails in {seed_s:.0f} s")
            if len(links) < teachers:
                say(f"only {len(links)} of {teachers} first emails within the deadline")
            plan = {
                "links": links,
                "events": events,
                "key": school.key,
                "sessions": school.sessions,
                "cookie": "cpd_session",
                "leaders": args.leaders,
                "teacher_users": args.teacher_users,
                "rate": args.rate,
                "answer": ACTION_PLAN,
                "results": str(folder / "results.json"),
            }
            load_before = os.getloadavg()[0]
            say(f"locust: {args.leaders} leaders, {args.rate} answers/s, {args.seconds} s")
            worker_cpu0 = cpu_s(worker)
            locust, _ = run_locust(running, plan, args.seconds)
            meter = Meter(stack_pids(running)).start()
            reaped = _children_cpu()  # locust's, once it has exited
            stop = asyncio.Event()
            sampler = asyncio.create_task(meter.sample_load(stop))
            t_run = time.time()
            while locust.poll() is None:
                await asyncio.sleep(1)
            cores = meter.cores()
            cores["locust"] = (_children_cpu() - reaped) / (time.perf_counter() - meter.t0)
            others = "anything else on the machine"
            cores[others] = max(0.0, cores.pop(others) - cores["locust"])  # listed last
            stop.set()
            await sampler
            results = json.loads((folder / "results.json").read_text())
            wall_s = results["t_end"] - t_run
            say(f"locust done ({wall_s:.0f} s); counting the answers")
            seen = await settled_answers(running, school.key, events, args.settle)
            worker_cpu_s = cpu_s(worker) - worker_cpu0
            figures, failures = figures_of(results["samples"], args.seconds)
            if any(failures.values()):
                say((folder / "locust.log").read_text()[-6000:])
                say((folder / "processes.log").read_text()[-6000:])
            return Result(
                args,
                teachers,
                emails,
                seed_s,
                len(events),
                figures,
                len(results["answered"]),
                len(links),
                results["links_out"] and results["links_out"] - t_run,
                seen,
                cores,
                meter.loads,
                load_before,
                wall_s,
                failures,
                file_sizes(folder),
                seed_cores,
                table_sizes(folder / "app.db"),
                error_kinds(results.get("errors", [])),
                quiet_s,
                worker_cpu_s,
                twice,
            )
        finally:
            running.stop()
            await running.temporal.shutdown()


def table(figures: dict[str, dict[str, float]]) -> str:
    trivial = figures[TRIVIAL]["p99"]
    return "\n".join(
        f"| {name} | {f['requests']:,.0f} | {f['per_s']:.1f} | {f['errors']:.0f} | "
        f"{f['p50']:.1f} | {f['p99']:.1f} | {f['p99'] / trivial:.1f}× |"
        for name, f in figures.items()
    )


def write(r: Result) -> None:
    a = r.args
    requests = sum(int(f["requests"]) for f in r.figures.values())
    errors = sum(r.failures.values())
    rate = r.posted / a.seconds
    seen = r.seen
    # Once each: no teacher and step twice, the leaders' count equal to the rows, and every
    # answer a page called recorded among them (one refused with a 503 may still land later).
    once = seen["rows"] == seen["distinct"] == seen["status_answered"] >= r.posted
    met = errors == 0 and rate >= 0.98 * a.rate and once
    busiest = max(r.loads, default=r.load_before)
    worker_ms = 1000 * r.worker_cpu_s / max(seen["rows"], 1)
    cpus = os.cpu_count() or 1
    tables = "\n".join(
        f"| {name} | {rows:,} | {size / 1e6:.1f} | {size / rows:,.0f} |"
        for name, (rows, size) in sorted(r.tables.items(), key=lambda t: -t[1][1])
    )
    cores = "\n".join(f"| {name} | {c:.2f} |" for name, c in r.cores.items())
    kinds = "\n".join(
        f"| {what} | {n} |" for what, n in sorted(r.error_kinds.items(), key=lambda k: -k[1])
    )
    links_note = (
        f"The {r.links:,} links ran out {r.links_out_s:.0f} s into the run."
        if r.links_out_s is not None
        else f"Of {r.links:,} links, {r.links - r.posted - r.failures.get(POST, 0):,} were left."
    )
    crowded = (
        f"The machine was oversubscribed: a load average of up to {busiest:.0f} on {cpus} cores, "
        'most of it other sessions\' tests and benchmarks ("anything else" below), so every '
        "process of the stack waited for a core most of the time and these figures are far "
        "below what the stack does on a machine of its own."
        if busiest > 2 * cpus and r.cores.get("anything else on the machine", 0.0) > cpus / 2
        else ""
    )
    write_section(
        SECTION,
        f"""
## Load on the embedded stack (issue 18)

Rerun: `.venv/bin/python -m bench.load` (by default 100 answers a second for 120 s with 50
leaders; `--help`). Measured {machine()}; load average {r.load_before:.1f} when the load
began, {min(r.loads, default=0):.1f} to {busiest:.1f} during it. {crowded}

The stack `cpd dev` runs, each part as it runs it, on free ports: the Temporal dev server
persisting to a SQLite file, `python -m run.worker` (both lanes, the participants' at
niceness 10 as by default), the API under uvicorn (`api.app:serve_app`), the dev SMTP server
keeping every message in a Maildir, SQLite for the app. One school, open all hours,
triggered {r.events} event(s) of up to {PER_EVENT:,} teachers through `POST /v1/events`, dated
yesterday; {r.emails:,} first emails (the action plan) of {r.teachers:,} had arrived
{r.seed_s:.0f} s after the first POST, once the worker had used under 0.05 of a core for five
seconds ({r.quiet_s:.0f} s of that waiting for it to be quiet; mail pace off for this seeding:
`CPD_SMTP_RATE_PER_SECOND=0`, `CPD_FAN_OUT_BEGIN_PER_SECOND=0`), and each teacher's check-in
link was read from their email ({r.twice} teachers got theirs twice). That is
{r.emails / r.seed_s:.1f} first emails a second,
with the worker at {r.seed_cores.get("worker", 0):.2f} cores
({1000 * r.seed_cores.get("worker", 0) * r.seed_s / max(r.emails, 1):.0f} ms of its CPU a
first email, starts and fan-out included) and the dev server at
{r.seed_cores.get("Temporal dev server", 0):.2f}.

Then locust ({a.seconds} s, headless, in its own process; bench/locustfile.py):
{a.leaders} leaders, each reading a page and then, 1 to 2 s later, the next: an event's
status, impact and people (100) through `/v1` with the school's key, and its dashboard and
people pages with a signed-in session; {a.teacher_users} teachers together asked to answer
{a.rate:.0f} a second at a constant pace, each answer a different teacher's (GET the emailed
link, POST the action plan; an answer counts only if the page says it is recorded and not
"already had"); and `/healthz` 10 times a second beside them. Each client sends its own
`X-Forwarded-For` (uvicorn believes it from loopback, as from a proxy), since one network's
link pages are rate-limited and from one address the test would measure that limit.
{links_note}

| Endpoint | Requests | Per second | Errors | p50 (ms) | p99 (ms) | p99 against trivial |
|---|---|---|---|---|---|---|
{table(r.figures)}

{requests:,} requests, **{errors} errors**. Answers: {r.posted:,} recorded by the pages
({rate:.1f} a second); in the app database afterwards {seen["rows"]:,} answers,
{seen["distinct"]:,} distinct teacher and step; the leaders' status counts
{seen["status_answered"]:,} answered.

| What a failed request got | Count |
|---|---|
{kinds or "| (none) | 0 |"}

Target: {a.rate:.0f} answers a second for {a.seconds} s with {a.leaders} leaders reading, 0
errors, each answer recorded once: **{"met" if met else "NOT met"}** ({rate:.1f} a second,
{errors} errors, recorded once: {"yes" if once else "no"}).

On disk afterwards: the app's SQLite {r.sizes["app.db"] / 1e6:.1f} MB, the dev server's
{r.sizes["temporal.db"] / 1e6:.1f} MB for {r.teachers:,} follow-throughs started, {r.emails:,}
of them past their first email ({r.sizes["temporal.db"] / r.teachers:,.0f} bytes each: history,
mutable state, visibility).

| App table (with its indexes) | Rows | MB | Bytes a row |
|---|---|---|---|
{tables or "| (none of 1,000 rows or more) | | | |"}

CPU during the run, cores of {cpus}:

| Process | Cores |
|---|---|
{cores}

The worker used {worker_ms:.0f} ms of its CPU for each answer that reached the database
({r.worker_cpu_s:.0f} s of CPU from locust's start until the answers were counted, for
{seen["rows"]:,} answers; the leaders' pages here read the app database, not the
workflows): one worker process, whose Python runs on one core at a time, takes about
{1000 / max(worker_ms, 1):.0f} answers a second at that cost.
""",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=100, help="answers a second")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--leaders", type=int, default=50)
    parser.add_argument(
        "--teacher-users", type=int, default=200, help="locust users sharing the answers"
    )
    parser.add_argument("--teachers", type=int, default=0, help="default: rate x seconds")
    parser.add_argument("--seed-deadline", type=float, default=1800, help="wait for emails, s")
    parser.add_argument("--settle", type=float, default=5, help="quiet seconds around the run")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the docs")
    parser.add_argument(
        "--report", type=Path, help="write the docs from a run's printed figures (same options)"
    )
    args = parser.parse_args()
    if args.report:
        figures = json.loads(args.report.read_text())
        write(Result(args=args, **figures))
        return
    result = asyncio.run(measure(args))
    print(json.dumps({k: v for k, v in result.__dict__.items() if k != "args"}, indent=1))
    if not args.no_write:
        write(result)


if __name__ == "__main__":
    main()
