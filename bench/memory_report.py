"""bench/memory.py's section of docs/BENCHMARKS.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.report import _rewrap

if TYPE_CHECKING:
    from bench.memory import Latency, Run

COMMAND = ".venv/bin/python -m bench.memory"
TARGET_MIB = 300  # the participants' worker's RSS with 10,000 asleep, at the default cache
TARGET_ASLEEP = 10_000
MIB = 1024 * 1024


@dataclass
class Figures:
    facts: dict[str, str]
    participants: int
    runs: list[Run]
    default_cache: int  # CPD_WORKER_MAX_CACHED_WORKFLOWS's default when measured

    @property
    def deployed(self) -> Run | None:
        return next((r for r in self.runs if r.cache == self.default_cache), None)


def _mib(n: int) -> str:
    return f"{n / MIB:.0f}"


def per_workflow_kib(run: Run) -> float:
    """What each participant asleep beyond the first measuring point added to the RSS."""
    first, last = run.points[0], run.points[-1]
    added = last.asleep - first.asleep
    return (last.memory.rss - first.memory.rss) / 1024 / added if added else 0.0


def per_cached_kib(run: Run) -> float:
    """What each workflow held in the cache costs: the growth up to the first measuring
    point, over the workflows the cache could hold by then."""
    first = run.points[0]
    cached = min(run.cache, first.asleep)
    return (first.memory.rss - run.at_start.rss) / 1024 / cached if cached else 0.0


def render(f: Figures) -> str:
    parts = [_header(f), _table(f), _trade(f), _verdict(f), _bounds(f)]
    return _rewrap("\n\n".join(p for p in parts if p))


def _header(f: Figures) -> str:
    facts = f.facts
    return f"""## Worker memory with {f.participants:,} sleeping follow-throughs (issue 18)

Rerun: `{COMMAND}` (`--help` for options). It starts a fresh Temporal dev server for each
cache size, keeps SQLite in a temporary directory and took {facts["duration"]} this time.

Measured {facts["machine"]}; {facts["cpu"]}; load average {facts["load"]} at the start (a
busy machine slows the runs, not what the worker holds). Code `{facts["commit"]}`; dev
server `{facts["dev_server"]}`.

The app in the benchmark's process, each worker lane in a process of its own (`cpd worker
--lane main` and `--lane fanout`, as docker-compose runs them). Three events of
{_sizes(f)} teachers dated eight weeks ahead, triggered through `POST /v1/events` one after
another: each participant's first workflow task records it as waiting and sets the timer
for its action plan, and then it sleeps. The fan-out's pace is off
(`CPD_FAN_OUT_BEGIN_PER_SECOND=0`): nothing is due for weeks, so there is no mail to pace
the first steps by; and the worker runs at normal priority (`CPD_WORKER_NICE=0`): what it
holds does not depend on it. A participant counts as asleep once the server has its stage
as waiting (set by the commands of its completed first task, with its timer). The
participants' worker's memory is read from `/proc/<pid>/smaps_rollup` once it holds still
(within 1 MiB for three seconds): after start, and once every participant so far is asleep.
RSS counts every page resident for the process; PSS divides
shared pages among the processes sharing them; USS is its own pages alone."""


def _sizes(f: Figures) -> str:
    run = f.runs[0]
    counts = [p.asleep for p in run.points]
    sizes = [b - a for a, b in zip([0, *counts], counts, strict=False)]
    return ", ".join(f"{n:,}" for n in sizes[:-1]) + f" and {sizes[-1]:,}"


def _table(f: Figures) -> str:
    points = [p.asleep for p in f.runs[0].points]
    head = "| Cached workflows (at most) | At start | " + " | ".join(
        f"{n:,} asleep" for n in points
    )
    head += " | Each beyond the first point |\n"
    head += "|---|---|" + "---|" * len(points) + "---|\n"
    rows = []
    for run in f.runs:
        cells = [_mib(run.at_start.rss)] + [_mib(p.memory.rss) for p in run.points]
        name = f"{run.cache:,}" + (" (the default)" if run.cache == f.default_cache else "")
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {per_workflow_kib(run):.0f} KiB |")
    pss = []
    for run in f.runs:
        last = run.points[-1]
        pss.append(
            f"| {run.cache:,} | {_mib(last.memory.rss)} | {_mib(last.memory.pss)} | "
            f"{_mib(last.memory.uss)} | {last.took_s:.0f} s |"
        )
    return (
        "RSS of the participants' worker, MiB:\n\n"
        + head
        + "\n".join(rows)
        + f"\n\nWith all {points[-1]:,} asleep, MiB, and how long the last event took from "
        "its POST until every one of its teachers was asleep:\n\n"
        "| Cached workflows (at most) | RSS | PSS | USS | Last event asleep |\n"
        "|---|---|---|---|---|\n" + "\n".join(pss)
    )


def _trade(f: Figures) -> str:
    rows = []
    for run in f.runs:
        if run.first_query is None or run.second_query is None:
            continue
        rows.append(
            f"| {run.cache:,} | {_latency(run.first_query)} | {_latency(run.second_query)} |"
        )
    history = f.runs[0].history_events
    return (
        "What the cache trades: a leader's live view of one teacher (the `timeline` Query), "
        f"asked of the first 100 teachers, who had slept longest, one after another (median / "
        f"95th percentile, ms); then of the same 100 again. A workflow not in the cache is "
        f"rebuilt from its history first (here {history} events: a sleeping participant's "
        "first task; late in a year a history is a few hundred).\n\n"
        "| Cached workflows (at most) | Longest asleep | The same again |\n"
        "|---|---|---|\n" + "\n".join(rows)
    )


def _latency(q: Latency) -> str:
    failed = f" ({q.failed} failed)" if q.failed else ""
    return f"{q.median_ms:.1f} / {q.p95_ms:.1f}{failed}"


def _verdict(f: Figures) -> str:
    run = f.deployed
    if run is None:
        return f"Target: {TARGET_MIB} MiB RSS or less with the default cache: not measured."
    last = run.points[-1]
    rss = last.memory.rss / MIB
    if last.asleep < TARGET_ASLEEP:
        return (
            f"Target: the participants' worker at {TARGET_MIB} MiB RSS or less with "
            f"{TARGET_ASLEEP:,} asleep, as deployed: **not measured** in this run, which had "
            f"{last.asleep:,} asleep ({rss:.0f} MiB with the default cache, {f.default_cache:,})."
        )
    met = "**met**" if rss <= TARGET_MIB else "**not met**"
    return (
        f"Target: the participants' worker at {TARGET_MIB} MiB RSS or less with "
        f"{last.asleep:,} asleep, as deployed (the default cache, "
        f"{f.default_cache:,}): {met} ({rss:.0f} MiB)."
    )


def _bounds(f: Figures) -> str:
    biggest = max(f.runs, key=lambda r: r.cache)
    lines = [
        "### What bounds it",
        "",
        f"- **Each cached workflow costs about {per_cached_kib(biggest):.0f} KiB** (the "
        f"{biggest.cache:,} row, from start to the first point, over the workflows cached "
        "by then; that includes the one-time warm-up of everything a first task runs, so "
        "it overstates the steady cost). Per instance the sandbox re-imports "
        "`workflows/participant.py` (its functions, classes and code objects, about 70 KiB "
        "measured alone), and holds the decoded input and state (the plan and the school's "
        "calendar, about 45 KiB), the SDK's event loop and futures for the instance, and "
        "the Rust core's state for the run.",
        "- **A workflow not cached costs the worker nothing while it sleeps**: its state is "
        "its history on the Temporal server, and a timer there wakes it. Its entry would be "
        "of no use for days (its next task is a timer weeks away, an answer or a leader's "
        "look); rebuilding it then costs the replay in the trade table.",
    ]
    run = f.deployed
    if run is not None and len(run.points) >= 2 and run.points[-2].asleep >= run.cache:
        before, last = run.points[-2], run.points[-1]
        grew = (last.memory.rss - before.memory.rss) / MIB
        each = grew * 1024 / (last.asleep - before.asleep)
        line = (
            f"- **With the cache full, the worker grew {grew:.0f} MiB** from "
            f"{before.asleep:,} to {last.asleep:,} asleep ({each:.0f} KiB a participant, "
            "against the cached cost above)."
        )
        if each > 20:
            line += (
                " Most likely the allocator keeps what evicted workflows and the burst of "
                "first tasks freed, for reuse, rather than handing it back (not established "
                "here): a high-water mark as much as what sleeps."
            )
        lines.append(line)
    return "\n".join(lines)


def summary(f: Figures) -> str:
    lines = []
    for run in f.runs:
        last = run.points[-1]
        lines.append(
            f"cache {run.cache}: {last.asleep} asleep, RSS {last.memory.rss / MIB:.0f} MiB "
            f"(start {run.at_start.rss / MIB:.0f}), {per_workflow_kib(run):.0f} KiB each"
        )
    return "\n".join(lines)
