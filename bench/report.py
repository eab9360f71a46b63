"""This benchmark's section of docs/BENCHMARKS.md: facts, tables, ratios, interpretation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from activities.email import SHORT_WAIT_S
from bench.cpu import CpuShare
from bench.fanout import CONCURRENCY, FanoutFigures, RawFigures
from bench.probes import Spread
from bench.sections import machine
from bench.variants import HOLD
from bench.year import YearFigures
from cpd.settings import PROJECT_ROOT, Settings
from devtools import servers

COMMAND = ".venv/bin/python -m bench.run"
TARGET = 0.85  # fan-out start rate as a share of the raw concurrent start rate (issue 18)
YEAR_TARGET = 10  # a participant's time-skipped year against a raw sleeping year (issue 18)
SLOW_TASK_S = 5  # the SDK warns of a workflow task that took longer (TMPRL1104)


@dataclass
class Figures:
    facts: dict[str, str]
    year: YearFigures
    raws: dict[str, RawFigures]  # by variant: raw starts on its own fresh server, just before
    alone: FanoutFigures  # participants held back: the fan-out's own cost
    fanout: FanoutFigures  # as deployed: each worker lane in a process of its own
    equal: FanoutFigures  # as deployed, but the participants' worker not yielding CPU
    shared: FanoutFigures  # app and both lanes in one process, as `cpd dev` runs it

    @property
    def raw(self) -> RawFigures:
        """The raw starts on the server of the fan-out as deployed (with the one-at-a-time loop)."""
        return self.raws["fanout"]

    def share_of_raw(self, variant: str) -> float:
        """A variant's start rate over the raw concurrent rate on its own server."""
        fan: FanoutFigures = getattr(self, variant)
        return (fan.start_rate or 0.0) / self.raws[variant].concurrent_rate


def _output(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def _commit(git: str) -> str:
    head = _output(git, "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD")
    # Uncommitted changes to the product; the benchmark and this file don't count.
    status = [git, "-C", str(PROJECT_ROOT), "status", "--porcelain", "--", "."]
    changed = _output(*status, ":!bench", ":!docs") != "unknown"  # "unknown": no output
    return f"{head} with uncommitted changes" if changed else head


def run_facts() -> dict[str, str]:
    """What a reader needs to judge the figures, read before anything starts."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    cli = servers.temporal_cli()
    jars = sorted((servers.CACHE / "test-server" / "lib").glob("temporal-test-server-*.jar"))
    git = shutil.which("git") or "git"
    return {
        "machine": machine(),
        "cpu": model.group(1).strip() if model else "unknown CPU",
        "load": Path("/proc/loadavg").read_text().split()[0],
        "commit": _commit(git),
        "dev_server": _output(str(cli), "--version") if cli else "the SDK's download",
        "test_server": jars[0].stem if jars else "the SDK's download",
        "bytecode": "off (PYTHONDONTWRITEBYTECODE is set)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else "on",
    }


def _s(seconds: float | None, missing: str = "not within the wait") -> str:
    return f"{seconds:.1f} s" if seconds is not None else missing


def _each(values: Iterable[float], digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


def render(f: Figures) -> str:
    parts = [_header(f.facts), _year(f.year), _fanout(f), _where(f), _interpretation(f)]
    return _rewrap("\n\n".join(parts))


def _rewrap(markdown: str) -> str:
    """Refill prose paragraphs and bullets, whose lines the figures made ragged;
    headings and tables stay as they are."""
    blocks = []
    for block in markdown.split("\n\n"):
        if block.startswith(("#", "|")):
            blocks.append(block)
        elif block.startswith("- "):
            items = block[2:].split("\n- ")
            blocks.append("\n".join(_fill(item, "- ", "  ") for item in items))
        else:
            blocks.append(_fill(block, "", ""))
    return "\n\n".join(blocks)


def _fill(text: str, first: str, rest: str) -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=92,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _header(facts: dict[str, str]) -> str:
    return f"""## Follow-through workflow (issue 3)

Rerun: `{COMMAND}`. It starts its own servers, keeps SQLite in a temporary directory, runs
aiosmtpd in its own process and took {facts["duration"]} this time (`--help` for options).

Measured {facts["machine"]}; {facts["cpu"]}; load average {facts["load"]} at the start.
Code `{facts["commit"]}`; dev server `{facts["dev_server"]}`; test server
`{facts["test_server"]}`; Python bytecode caching {facts["bytecode"]}."""


def _year(y: YearFigures) -> str:
    first = y.runs[0]
    year_verdict = _verdict(y.ratio <= YEAR_TARGET)
    tasks = first.activities + first.workflow_tasks
    wakeups = _each(y.wakeups_wall_s, 3)
    return f"""### One participant's year on the time-skipping server

The default plan (`whole-school-inset`), the default school calendar (London, Monday to
Friday, 07:30-17:30) and a teacher who never answers, so every reminder and every "missed"
runs. Triggered through the API, then `env.sleep(400 days)` (and a month more at a time
until the follow-through has ended: holidays can push its last window later), with the
real worker, SQLite
and aiosmtpd. The raw baseline is one workflow that sleeps 365 days, driven the same way
on the same server; the second sleeps it in as many timers as the participant's year set,
each wake a workflow task that does nothing: the floor for a year that wakes that often.

| | Wall time, median of {len(y.runs)} | Each run |
|---|---|---|
| A participant's year | {y.median_wall_s:.2f} s | {_each(r.wall_s for r in y.runs)} |
| Raw: `workflow.sleep(365 days)` | {y.median_raw_s:.3f} s | {_each(y.raw_wall_s, 3)} |
| Raw: the same year in {first.timers} timers | {y.median_wakeups_s:.3f} s | {wakeups} |
| **Ratio** | **{y.ratio:.0f}×** (target {YEAR_TARGET}× or less: {year_verdict}) | |
| Ratio against the year in {first.timers} timers | {y.wakeups_ratio:.1f}× | |

Each year: {first.emails} emails arrived at the SMTP server; {first.workflow_tasks} workflow
tasks, with {first.local_activities} local activities (DB reads and writes, sends) run
inside them, {first.activities} ordinary activities and {first.timers} timers;
{first.days_skipped:.0f} days skipped; ended `{first.stage}`. That is
{1000 * y.median_wall_s / tasks:.0f} ms of wall time per workflow task or ordinary
activity.{_year_parts(y)}"""


# What each local activity of a year is for, in the words of the table below.
LOCAL_WORK = {
    "send_step_email": "sending the emails (render, SMTP, the send key's row)",
    "project_participant": "the leaders' view of each change (`project_participant`)",
    "school_calendar_at": "the school's calendar re-read on each wake",
    "reserve_email": "the teacher's weekly email budget",
    "reserve_send_slot": "a slot in the worker's mail pace",
}


def _year_parts(y: YearFigures) -> str:
    """Where the median year's wall time went, by the SDK's own timings in that run."""
    run = sorted(y.runs, key=lambda r: r.wall_s)[len(y.runs) // 2]
    t = run.times
    if not t.workflow_tasks:
        return ""
    raw = y.median_raw_s

    def row(what: str, seconds: float) -> str:
        return f"| {what} | {seconds:.2f} s | {seconds / raw:.1f}× |"

    rows = [row("In workflow tasks, all told", t.workflow_tasks)]
    for kind, seconds in sorted(t.local_activities.items(), key=lambda kv: -kv[1]):
        label = LOCAL_WORK.get(kind, f"`{kind}`")
        rows.append(row(f"· {label}, {t.local_counts[kind]} local activities", seconds))
    rows.append(
        row(
            "· the rest: the workflow's code, its sandbox, the SDK passing each local activity"
            " in and out, on the one event loop this process's app shares",
            t.workflow_tasks - t.local_total,
        )
    )
    outside = run.wall_s - t.workflow_tasks
    rows.append(row("Outside workflow tasks: the server, and the benchmark's own calls", outside))
    table = "\n".join(rows)
    at_target = YEAR_TARGET * raw
    return f"""

Where that year's wall time went (the median run, {run.wall_s:.2f} s), by the worker's own
timings: the SDK's `temporal_workflow_task_execution_latency` and
`temporal_local_activity_execution_latency`, kept in memory for this server's client
(bench/probes.py):

| | Seconds | Against the raw year |
|---|---|---|
{table}

The local activities are the year's work itself: {t.local_total:.2f} s, {t.local_total / raw:.0f}×
the raw year on their own. A year at {YEAR_TARGET}× would have to do all of it, and run
{run.workflow_tasks} workflow tasks, in {at_target:.2f} s."""


def _verdict(met: bool) -> str:
    return "met" if met else "**NOT met**"


def _slow(fan: FanoutFigures) -> str:
    if not fan.slow_tasks:
        return "0"
    return f"{fan.slow_tasks:,}, the longest {fan.longest_task_ms / 1000:.1f} s"


def _fanout(f: Figures) -> str:
    fan, raw = f.fanout, f.raw
    ratio = f.share_of_raw("fanout")
    verdict = _verdict(ratio >= TARGET)
    everyone = (
        _s(fan.all_emails_s)
        if fan.all_emails_s is not None
        else f"not within {fan.deadline_s:.0f} s: {fan.emails:,} of {fan.participants:,} by then"
    )
    raw_rows = [
        (f"Raw: no-op workflows, {CONCURRENCY} in flight (as the fan-out)", raw.concurrent_rate),
        (f"Raw: {raw.sequential_n:,} no-op workflows, one at a time", raw.sequential_rate),
    ]
    variant_rows = [
        (f"Fan-out alone: participants held back {HOLD.seconds // 3600} h", "alone"),
        ("**Fan-out as deployed** (each lane in its own process)", "fanout"),
        ("As deployed, the participants' worker at normal priority", "equal"),
        ("Everything in one process (`cpd dev`)", "shared"),
    ]
    table = "\n".join(
        [
            *(
                f"| {name} | {rate:.0f} /s | {raw.concurrent_rate:.0f} /s "
                f"| {rate / raw.concurrent_rate:.2f} |"
                for name, rate in raw_rows
            ),
            *(
                f"| {name} | {getattr(f, v).start_rate or 0:.0f} /s "
                f"| {f.raws[v].concurrent_rate:.0f} /s | {f.share_of_raw(v):.2f} |"
                for name, v in variant_rows
            ),
        ]
    )
    cfg = Settings()
    return f"""### Fan-out of a {fan.participants:,}-participant event on the dev server

`POST /v1/events` through the real app (httpx ASGITransport) in the benchmark's process;
the real worker with its default settings ({cfg.worker_max_concurrent_workflow_tasks}
workflow-task slots for the participants, the SDK's 100 for the fan-out's lane, 100 activity
slots, 5 pollers each, {cfg.worker_max_cached_workflows:,}
cached workflows; SMTP pool of {cfg.smtp_pool_size} at most {cfg.smtp_rate_per_second:.0f}
emails a second, a send whose slot is over {SHORT_WAIT_S:.0f} s off waiting for it on a
workflow timer; no participant begins its first step until the whole event is expected to
be started (its size over the start rate measured so far; as slow as the pace below until
{CONCURRENCY} are started), then the first {cfg.fan_out_burst} at once and each after them in turn,
{cfg.fan_out_begin_per_second:.0f} a second), each of its lanes in a process of its
own as docker-compose deploys them: `cpd worker --lane main` for the participants, which
lowers its own CPU priority (niceness {cfg.worker_nice}, `CPD_WORKER_NICE`), and `cpd
worker --lane fanout` for the starts. A school open all hours and an event dated yesterday,
so every participant's first email (the action plan) is due at once; email budget 10 a
week. Times are from sending the POST; when each participant started is read back from the
server's visibility store afterwards. The wait for first emails stops
{fan.deadline_s:.0f} s after the POST at the latest.

| Fan-out as deployed | |
|---|---|
| POST answered (201, accepted) | {fan.accepted_s:.2f} s |
| Participant workflows started within the wait | {fan.started:,} of {fan.participants:,} |
| Last of those started | {_s(fan.last_start_s, "none")} |
| **Start rate, POST to last start** | **{fan.start_rate or 0:.0f} /s** |
| Fan-out workflow returned | {_returned(fan)} |
| First email delivered | {_s(fan.first_email_s)} |
| Half of the first emails | {_s(fan.half_emails_s)} |
| Every first email | {everyone} |
| First emails a second, first to last seen | {fan.email_rate:.1f} |
| Delivered twice | {fan.emails - fan.distinct_recipients} of {fan.emails:,} |
| **Workflow tasks over {SLOW_TASK_S} s** (participants' worker, whole wait) | **{_slow(fan)}** |

Start rates, {raw.concurrent_n:,} workflows each unless stated. Each fan-out ran on a dev
server of its own, started fresh for it, right after {raw.concurrent_n:,} raw starts on that
same server, and is compared with those: a server that has already taken earlier runs'
workflows starts more slowly. Holding participants back changes only how the fan-out
starts them (`bench/variants.py`):

| Starts | Rate | Raw on the same server | Share of raw |
|---|---|---|---|
{table}

**Fan-out start rate / raw concurrent start rate: {ratio:.2f}** (target {TARGET} or more:
{verdict}). Workflow tasks over {SLOW_TASK_S} s as deployed: {_slow(fan)} (target 0:
{_verdict(not fan.slow_tasks)})."""


def _returned(fan: FanoutFigures) -> str:
    if fan.fanout_done_s is None:
        return f"not within {fan.deadline_s:.0f} s"
    return f"{fan.fanout_done_s:.1f} s (it says {fan.fanout_result:,} started)"


def _cpu_rows(*columns: list[CpuShare]) -> str:
    cores = [{share.process: share.cores for share in column} for column in columns]
    names = list(dict.fromkeys(name for column in cores for name in column))
    return "\n".join(
        f"| {n} | " + " | ".join(f"{c.get(n, 0.0):.2f}" for c in cores) + " |" for n in names
    )


def _pages_row(name: str, fan: FanoutFigures) -> str:
    p = fan.pages
    return (
        f"| {name} | {p.pages} | {p.in_pages_s:.0f} s | {p.between_pages_s:.0f} s "
        f"| {p.waiting_timeouts} + {p.running_timeouts} | {_returned(fan)} |"
    )


def _where(f: Figures) -> str:
    fan = f.fanout
    return f"""### Where the time went (same run)

The fan-out workflow, from its history: time inside its page activities (starting
workflows) and between them (its own workflow task and next page waiting their turn):

| Fan-out | Pages | Inside pages | Between pages | Task timeouts: queued + running | Returned |
|---|---|---|---|---|---|
{_pages_row("Participants held back", f.alone)}
{_pages_row("**As deployed**", fan)}
{_pages_row("As deployed, worker at normal priority", f.equal)}
{_pages_row("Everything in one process", f.shared)}

CPU while the fan-outs started their participants (from the POST until the fan-out
returned), as deployed and with the participants' worker at normal priority, and during
the raw starts; the last column is the whole wait for the first emails as deployed:

| CPU, cores (of {os.cpu_count()}) | As deployed | Worker not niced | Raw starts | Whole wait |
|---|---|---|---|---|
{_cpu_rows(fan.cpu_starting, f.equal.cpu_starting, f.raw.cpu, fan.cpu)}

Inside the worker, where it runs in this process (everything in one process, until the
fan-out returned):

| Everything in one process | Count | Mean | 95th percentile |
|---|---|---|---|
{_spread_row("SQL reads in the process (worker and app)", f.shared.db_reads)}
{_spread_row("SQL writes in it (BEGIN included: it waits for SQLite's lock)", f.shared.db_writes)}
{_spread_row("Event-loop lag (a 50 ms sleep waking late)", f.shared.loop_lag)}

Workflow tasks the SDK reported as taking over {SLOW_TASK_S} s (TMPRL1104, which counts the
local activities inside a task), read from each worker's log until the wait ended: as
deployed {_slow(fan)}; with the worker at normal priority {_slow(f.equal)}; in one
process {_slow(f.shared)}; with the participants held back {_slow(f.alone)}."""


def _spread_row(name: str, spread: Spread) -> str:
    return f"| {name} | {spread.count:,} | {spread.mean_ms:.0f} ms | {spread.p95_ms:.0f} ms |"


def _cores(shares: list[CpuShare], process: str) -> str:
    return f"{sum(s.cores for s in shares if s.process.startswith(process)):.2f}"


def _interpretation(f: Figures) -> str:
    fan, y, raw, equal = f.fanout, f.year, f.raw, f.equal
    worker = _cores(fan.cpu_starting, "worker: participants")
    server = _cores(fan.cpu_starting, "Temporal dev server")
    lane = _cores(fan.cpu_starting, "fan-out lane")
    worker_equal = _cores(equal.cpu_starting, "worker: participants")
    rate = Settings().smtp_rate_per_second
    floor = fan.participants / rate
    per_task_ms = 1000 * y.median_wall_s / (y.runs[0].activities + y.runs[0].workflow_tasks)
    everyone = (
        f"all {fan.participants:,} had arrived {fan.all_emails_s:.0f} s after the POST"
        if fan.all_emails_s is not None
        else f"{fan.emails:,} of {fan.participants:,} had arrived when the wait ended"
    )
    return f"""### What bounds these numbers

- **A year costs its round trips, not its length.** The raw year is one timer. A
  participant's year is {y.runs[0].activities + y.runs[0].workflow_tasks} round trips
  (workflow tasks and ordinary activities), about {per_task_ms:.0f} ms each through the
  worker, the Java test server, SQLite and SMTP, with its
  {y.runs[0].local_activities} local activities inside them; the timers between them are
  skipped for free.
{_fanout_bullets(f)}
- **Participants wait for the starts.** The dev server keeps its workflows in SQLite
  through a single connection, and its one history shard writes one workflow change at a
  time (`history.shardIOConcurrency` is 1): a participant's workflow task running beside
  the starts puts its writes in the same line, and its worker takes cores the line's
  holder needs. So no participant begins until the whole event is expected to be
  started. While the fan-out as deployed started its participants, the participants'
  worker used {worker} cores, the dev server {server} and the fan-out lane {lane}, on
  {os.cpu_count()} cores. With the worker at normal priority it took {worker_equal} cores
  and the starts ran at {equal.start_rate or 0:.0f} /s ({f.share_of_raw("equal"):.2f} of
  raw).
- **First emails.** Each participant's first email leaves from one workflow task, with
  its DB reads and writes, its reservation of a slot in the worker's mail pace and the
  send itself as local activities inside it; when the slot is over {SHORT_WAIT_S:.0f} s
  off, the task ends on a timer and a second one sends when it fires, so no task holds
  a slot of the worker while it waits for the pace. As deployed the first arrived
  {_s(fan.first_email_s)} after the POST (the participants wait for the starts) and
  {everyone}, at {fan.email_rate:.1f} a second from first to last; the pace and
  `CPD_SMTP_RATE_PER_SECOND` ({rate:.0f} a second, by design: mail relays throttle
  bursts) set a floor of {floor:.0f} s for {fan.participants:,}.
  {_who_sets_the_pace(fan, rate)}
- **The raw rate, {raw.concurrent_rate:.0f} /s on a fresh server, is what the dev server
  gives here** (the four fresh servers gave {_raw_range(f)} /s): during those starts it
  used {_cores(raw.cpu, "Temporal dev server")} cores and this process
  {_cores(raw.cpu, "this process")}. The machine is shared: "anything else on the machine"
  in the CPU table is other work ({_cores(raw.cpu, "anything else")} cores during the raw
  starts, {_cores(fan.cpu, "anything else")} during the fan-out), and it lowers every rate.

{DIAGNOSTICS}"""


# Found by hand while reading the first runs; not measured by this command, so dated.
DIAGNOSTICS = """### Diagnostic runs behind this reading (2026-11-23 and 2026-12-02, by hand)

One run each on this machine, at commit f3d4ab5 unless stated; not repeated by the command.

- **Slow workflow tasks when the cores are short (2026-12-02, code `2e12116`).** The machine
  was shared with five other benchmark and test runs (load average 25 to 37 on 2 cores).
  An event of 300 on the dev server, the worker in the test's process at normal priority
  and no mail pace at all (`CPD_SMTP_RATE_PER_SECOND=0`): the SDK reported 783 workflow
  tasks over 5 s (median 13.8 s, the longest 60.5 s), and 661 times the server had given
  a task up (past its 10 s) before the worker completed it, so it ran again, local
  activities and all. All 300 first tasks were among them, 285 retries of those and 198
  later tasks. A first task runs six local activities (the projection, the calendar, the
  budget, the send slot, the send, the projection again), each a transaction on SQLite;
  with no pace to wait for, the time went to the database and the cores (not measured
  apart in that run). Batching one step's reads and writes into one local activity
  would be the next thing to try.

- **Why each fan-out now gets a fresh server (session 5, code `dbb8bfb`).** Until then every
  variant ran on one dev server, one after another, against one raw rate measured first.
  On one server: raw 379 /s, then the held-back fan-out 332 /s, then the fan-out as
  deployed 232 /s, then raw again 294 /s and the fan-out as deployed 210 /s. On fresh
  servers (raw not measured in those runs) the fan-out as deployed started 281 /s at
  `416e7eb`, before the change below, and 277 and 276 /s after it. The earlier
  figures (0.65 and 0.68) compared a fresh server's raw rate with a fan-out on a server
  already holding 10,500 workflows, 5,000 of them still running.
- **The worker's DB work in one hop (session 5).** Each activity's transaction is a plain
  function run in one hop to a thread on SQLite (`cpd.db.Transactions`), not statement by
  statement through aiosqlite. Called directly, 500 times each: a projection 6.1 ms of CPU
  before, 1.6 ms after; a budget reservation 3.1 ms and 1.3 ms; a send 13.7 ms and 6.9 ms
  (SMTP included). In a fan-out on a fresh server, first emails delivered within 100 s
  went from 1,260 to 1,858; the start rate did not move (277 /s against 281 /s), since the
  niced worker still takes the cores the starts leave idle.
- **Why the participants slow the starts (session 4, code `a8da239` and trial edits, fan-out
  lane in its own process, 40 s waits).** The dev server's Prometheus metrics
  (`--metrics-port`) around the raw starts and a fan-out: it runs one history shard, whose
  workflow writes go one at a time (`history.shardIOConcurrency` 1), over one SQLite
  connection (`SetMaxOpenConns(1)` in its SQLite plugin). A start's write took 2.19 ms on
  average during the raw starts and 2.72 ms during the fan-out, where 3,616 workflow
  updates from the participants' tasks (1.82 ms each) queued in the same line; the mean
  wait for the shard's write slot went from 48 ms to 155 ms. The dev server itself used
  only 0.76 of 2 cores, so it was not short of CPU on average: the line is, and it
  stalls whenever its holder waits for a core. Sending the first email as a local
  activity (a trial edit, since kept as `PATCH_LOCAL_EMAIL`): 2,090 updates instead of
  3,616, 414 first emails in 40 s against 249, starts 220 /s against 206 /s (0.57 against
  0.53). The benchmark's process (the app and the participants' worker) reniced to 10 by hand,
  the fan-out lane's left at 0: 266
  /s with the email an ordinary activity (but 102 first emails in 40 s), 271 /s with it
  local-first (393 first emails), against a raw rate of about 385 /s in those runs; that
  became `CPD_WORKER_NICE`. A py-spy profile of the worker with local-first email: its
  main thread 27 % idle, 32 % in activities, 8 % creating sandboxed workflow instances;
  workflow tasks of 5 to 9 s were waiting (the first 100 queued behind the mail rate and
  SQLite's one writer), not working.
- **Bytecode.** A py-spy profile of the worker process (300 participants) had about 14 % of
  its Python time creating sandboxed workflow instances, most of it compiling
  `workflows/participant.py` from source: the sandbox re-imports the workflow module for
  every new workflow, and with `PYTHONDONTWRITEBYTECODE=1` (set on this machine, and in the
  Dockerfile, where the project's own code is never byte-compiled) there is no `.pyc` to
  load. About 80 ms of Python CPU per participant went into its first email in all. With
  caching on (`PYTHONPYCACHEPREFIX`): fan-out 147 /s against 137 /s, 509 first emails in
  120 s against 388.
- **Database.** The same run against PostgreSQL 15 (`CPD_DATABASE_URL`): writes 14 ms on
  average against 257 ms on SQLite, yet fan-out 152 /s against 137 /s and 414 first emails
  in 120 s against 388. SQLite's single writer is a cost, not the limit.
- **Later, by hand (2026-11-23 evening, one run each, fan-out lane in its own process).**
  Database reads and writes as local activities (`PATCH_LOCAL_DB`): 182 /s against
  197 /s before, so the starts did not move, though a participant's year went from 701
  history events to 359 and its first email from 8 server round trips to 2. Pacing the
  participants' first steps (20 a second after 100): 205 /s (0.53 of raw), and the first
  email 1.5 s after the POST. A py-spy profile of the worker's process during such a
  fan-out had 28 % of its main thread creating sandboxed workflow instances, half of
  that compiling `workflows/participant.py`; the worker now compiles it at start.
  After that, the pace (`CPD_FAN_OUT_BEGIN_PER_SECOND`, 60 s waits): none, 193 /s (0.51)
  with the worker's process at 0.84 cores and 318 first emails; 5 a second, 223 /s
  (0.59) with it at 0.48 cores and 389 first emails. Even with the worker half idle the
  starts stay under 0.7 here; the default stays at the mail rate, not at this machine's.
  With every participant held back by the pace itself (0.001 a second, no burst), the
  lane in its own process starts 344 /s (0.90): the lane's process is not the loss, the
  participants running beside it are. Without any search-attribute upserts (a trial
  edit, not kept) the fan-out was unchanged: 202 /s (0.54). Local against ordinary
  activities for the DB work, back to back, 60 s each: 193 /s (0.52) against 207 /s
  (0.56), but 300 first emails against 175, the first at 1.6 s against 3.9 s, and the dev
  server at 0.65 cores against 1.04.
- **Worker settings** (before f3d4ab5): `max_cached_workflows=6000` (default 1,000), or 20
  pollers for workflow tasks and for activities (default 5), made no difference.
- **Before f3d4ab5** ("fan-outs run in a lane of their own") the fan-out shared the
  participants' task queue: 24 /s (0.08 of raw), about 100 s of 150 between its pages, its
  workflow task timing out on the sticky queue (10 s) and then waiting minutes on the shared
  queue. Left alone, one such fan-out was still `Running` 13 minutes after its POST with every
  participant started. Starting participants at priority 4 (below the fan-out's default 3)
  gave 137 /s, as the lane does now."""


def _who_sets_the_pace(fan: FanoutFigures, mail_rate: float) -> str:
    if fan.email_rate >= 0.9 * mail_rate:
        return (
            "The worker kept up with that pace, so the mail rate, not the worker, set how long "
            "everyone waited."
        )
    return "The worker did not keep up with that pace; more workers raise its part."


def _raw_range(f: Figures) -> str:
    rates = sorted(r.concurrent_rate for r in f.raws.values())
    return f"{rates[0]:.0f} to {rates[-1]:.0f}"


def _fanout_bullets(f: Figures) -> str:
    fan, alone = f.fanout, f.alone
    held = (
        f"- **Starting workflows is cheap.** With the participants held back the fan-out "
        f"starts {alone.start_rate or 0:.0f} /s ({f.share_of_raw('alone'):.2f} of "
        "raw): its pages, payloads (plan and calendar in every input), search attributes "
        "and the POST are not what costs."
    )
    pages = fan.pages
    if pages.stalled:
        lane = (
            f"- **Its pages waited their turn.** {pages.between_pages_s:.0f} s went between "
            f"pages against {pages.in_pages_s:.0f} s inside them, and "
            f"{pages.waiting_timeouts + pages.running_timeouts} of its workflow tasks timed "
            "out: the fan-out's own tasks queued behind the participants' in the worker."
        )
    else:
        lane = (
            "- **Its pages followed one another without waiting** (its own task queue, "
            f"`cpd.names.fanout_queue`): {pages.between_pages_s:.0f} s between pages against "
            f"{pages.in_pages_s:.0f} s inside them."
        )
    inside = (
        f"- **One process is the slowest.** With the app and both lanes in one process, as "
        f"`cpd dev` runs them, the fan-out starts {f.shared.start_rate or 0:.0f} /s "
        f"({f.share_of_raw('shared'):.2f} of raw): its start calls wait on an "
        "event loop busy with the participants' workflow tasks and activities."
    )
    return "\n".join((held, lane, inside))


def summary(f: Figures) -> str:
    """One line for the terminal."""
    fan = f.fanout
    return (
        f"year {f.year.median_wall_s:.2f} s vs raw {f.year.median_raw_s:.3f} s "
        f"({f.year.ratio:.0f}x); POST {fan.accepted_s:.2f} s; starts: raw "
        f"{f.raw.concurrent_rate:.0f}/s, alone {f.alone.start_rate or 0:.0f}/s, deployed "
        f"{fan.start_rate or 0:.0f}/s (ratio {f.share_of_raw('fanout'):.2f}, target "
        f"{TARGET}); first emails "
        f"{fan.emails:,}/{fan.participants:,} in {fan.waited_s:.0f} s; tasks over "
        f"{SLOW_TASK_S} s: {_slow(fan)}"
    )
