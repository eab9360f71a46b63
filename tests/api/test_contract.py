"""The API keeps its own contract: schemathesis, every check, against the real app.

The app is served on a loopback port on a dev stack (the dev Temporal server, a real
database); schemathesis reads its OpenAPI document and runs all its phases (examples,
coverage, fuzzing, and the stateful phase that follows the document's links from
``POST /v1/events`` to the routes that use its ids) with every check it has. Once with
the school's own key, once with another school's key (whose ids it never sees).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from schemathesis.engine import from_schema
from schemathesis.engine.events import (
    EngineFinished,
    FatalError,
    NonFatalError,
    ScenarioFinished,
)

from tests.support.browser import served
from tests.support.inbox import free_port
from tests.support.stack import StackFactory

# Small enough that both runs fit in a few minutes on a loaded two-core machine.
MAX_EXAMPLES = 8
STATEFUL_STEPS = 6


@dataclass
class Run:
    """What one schemathesis run found."""

    operations: set[str] = field(default_factory=set)
    examples: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # "check: operation: title"
    samples: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, who: str) -> str:
        return (
            f"schemathesis ({who}): {len(self.operations)} operations, {self.examples} "
            f"examples, {sum(self.failures.values())} failures, {len(self.errors)} errors, "
            f"{self.seconds:.0f}s"
        )


def contract_run(base_url: str, key: str) -> Run:
    """All phases, all checks, against the served app (blocking: run it in a thread)."""
    config = schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {key}"},
            "checks": {"enabled": True},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
            "continue-on-failure": True,
            "seed": 18,
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    run = Run()
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished) and event.is_test_scenario:
            for case in event.recorder.cases.values():
                run.operations.add(case.value.operation.label)
                run.examples += 1
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        what = f"{check.name}: {failure.operation}: {failure.title}"
                        run.failures[what] += 1
                        answer = event.recorder.find_response(case_id=case_id)
                        said = f"{answer.status_code} {answer.text[:200]}" if answer else ""
                        said += f"\n    {failure.message[:300]}"
                        run.samples.setdefault(what, f"{check.failure_info.code_sample[:300]}\n    -> {said}")
        elif isinstance(event, (NonFatalError, FatalError)):
            run.errors.append(str(getattr(event, "info", None) or event.exception))
        elif isinstance(event, EngineFinished):
            run.seconds = event.running_time
    return run


def report(run: Run, who: str) -> str:
    lines = [run.summary(who)]
    for what, count in run.failures.most_common():
        lines.append(f"  {count}x {what}\n    {run.samples[what]}")
    lines += [f"  error: {e}" for e in run.errors]
    return "\n".join(lines)


async def test_the_api_keeps_its_contract_for_its_school_and_a_foreign_one(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with dev_stack(public_base_url=base) as s, served(s.app, port):
        _, foreign_key = await s.new_school()
        own = await asyncio.to_thread(contract_run, base, s.key)
        print(report(own, "own key"))
        foreign = await asyncio.to_thread(contract_run, base, foreign_key)
        print(report(foreign, "foreign key"))

    for run, who in ((own, "own key"), (foreign, "foreign key")):
        assert not run.errors, report(run, who)
        assert not run.failures, report(run, who)
        assert len(run.operations) >= 30, report(run, who)
