"""The API keeps its own contract: schemathesis, every check, against the real app.

The app is served on a loopback port on a dev stack (a dev Temporal server of the test's
own, so the thousands of follow-throughs its generated events start end with it; a real
database); schemathesis reads its OpenAPI document and runs all its phases (examples,
coverage, fuzzing, and the stateful phase that follows the document's links from
``POST /v1/events`` to the routes that use its ids) with every check it has. Once with
the school's own key, once with another school's key (whose ids it never sees).

A request the schema allows is answered 2xx, or with what depends on the school's data
(404, or 409: an event already cancelled, a ``school:`` plan it has not saved); one the
schema forbids is refused. The schema states each rule JSON Schema can: patterns, enums,
bounds, ``not``, ``if``/``then``, and, in the document served that day, the window of
event dates a trigger takes (90 days back to 400 ahead, by the app's clock). Where the API
could take an input with a plain meaning it does (an address listed twice is one
participant, named in the answer; steps sent out of order are put in order).

Left over are rules about two values together, or a file's contents, which no JSON
Schema keyword relates; each guards a school (nothing half-imported, no calendar closed
for a year by a typo, no steps that cannot be told apart), so the API keeps refusing them
with a 422 that names the rule and changes nothing. They are counted on their own below
(CANNOT_STATE), each by its own message; any other refusal of a request the schema allows,
or acceptance of one it forbids, fails the test.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.core.transport import Response
from schemathesis.engine import from_schema
from schemathesis.engine.events import (
    EngineFinished,
    FatalError,
    NonFatalError,
    ScenarioFinished,
)
from schemathesis.engine.run import PhaseName

from tests.support.browser import served
from tests.support.events import event
from tests.support.inbox import free_port
from tests.support.stack import StackFactory

# Small enough that both runs fit in a few minutes on a loaded two-core machine.
MAX_EXAMPLES = 6
STATEFUL_STEPS = 6
REQUEST_TIMEOUT_S = 120
# A run is stopped (and the test fails) after this, well over what one takes (under 2
# minutes on a quiet machine), so the test ends inside its own timeout with a report.
RUN_BUDGET_S = 210

# The rules JSON Schema cannot state (see above), by what the API's 422 says.
CANNOT_STATE = {
    "a roster file whose rows have errors creates nothing": '"error":"invalid_roster"',
    "a calendar file must be one the API can read": "This is not a calendar file we can read",
    "a plan's step ids are each used once": "step ids must be unique",
    "a send window ends after it starts": "send_window_end must be after send_window_start",
    "a term or closure ends on or after its start": "ends before it starts",
    "no calendar closes the school for over 90 days": "closed for more than 90 days",
    "a colour readable with white (WCAG AA)": "need at least 4.5:1 to be readable",
}
# In multipart every value is text: schemathesis's number for a file is that number's digits,
# a file like any other. Not a rule of the API's; nothing it could tell apart.
MULTIPART_TYPE = "became number)"


@dataclass
class Run:
    """What one schemathesis run found."""

    operations: set[str] = field(default_factory=set)
    examples: int = 0
    stateful: int = 0  # of those examples, in the stateful phase's linked sequences
    failures: Counter[str] = field(default_factory=Counter)  # "check: operation: title"
    unstated: Counter[str] = field(default_factory=Counter)  # CANNOT_STATE's, by rule
    samples: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    waited: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    # Requests whose address holds one of `watched` and that were answered 2xx.
    watched: tuple[str, ...] = ()
    leaks: list[str] = field(default_factory=list)

    def summary(self, who: str) -> str:
        return (
            f"schemathesis ({who}): {len(self.operations)} operations, {self.examples} "
            f"examples ({self.stateful} stateful), {sum(self.failures.values())} failures "
            f"(+{sum(self.unstated.values())} refusals by rules JSON Schema cannot state), "
            f"{len(self.errors)} errors, {self.seconds:.0f}s, of which waiting for answers "
            f"{sum(self.waited.values()):.0f}s, most on "
            + ", ".join(f"{what} {s:.0f}s" for what, s in self.most_waited())
        )

    def most_waited(self) -> list[tuple[str, float]]:
        """The operations whose answers took longest, all examples together."""
        return sorted(self.waited.items(), key=lambda item: -item[1])[:4]


async def contract(base_url: str, key: str, ids: dict[str, str] | None = None) -> Run:
    """``contract_run`` in a thread, which stops when the test does (a timeout included):
    a run left going would keep the machine busy for the rest of the session."""
    stop = threading.Event()
    try:
        return await asyncio.to_thread(contract_run, base_url, key, ids or {}, stop)
    finally:
        stop.set()


def contract_run(base_url: str, key: str, ids: dict[str, str], stop: threading.Event) -> Run:
    """All phases, all checks, against the served app (blocking: run it in a thread).
    ``ids``: path parameters to use in every request (another school's, to try to reach)."""
    config = schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {key}"},
            "parameters": {f"path.{name}": value for name, value in ids.items()},
            "checks": {"enabled": True},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
            "continue-on-failure": True,
            "seed": 18,
            # A generated POST of thousands of teachers can take over the default 10 s on a
            # busy machine: that is a speed question (bench/), not a contract failure.
            "request-timeout": REQUEST_TIMEOUT_S,
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{base_url}/openapi.json", config=config, timeout=REQUEST_TIMEOUT_S
    )
    run = Run(watched=tuple(ids.values()))
    deadline = time.monotonic() + RUN_BUDGET_S
    stream = from_schema(schema).execute()
    for happened in stream:
        if stop.is_set() or time.monotonic() > deadline:
            stream.stop()
            run.errors.append(f"stopped after {RUN_BUDGET_S} s, or when the test ended")
            break
        if isinstance(happened, ScenarioFinished) and happened.is_test_scenario:
            record(run, happened)
        elif isinstance(happened, NonFatalError):
            run.errors.append(str(happened.info))
        elif isinstance(happened, FatalError):
            run.errors.append(str(happened.exception))
        elif isinstance(happened, EngineFinished):
            run.seconds = happened.running_time
    return run


def record(run: Run, event: ScenarioFinished) -> None:
    for case in event.recorder.cases.values():
        run.operations.add(case.value.operation.label)
        run.examples += 1
        run.stateful += event.phase is PhaseName.STATEFUL_TESTING
    for case_id, checks in event.recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            answer = event.recorder.find_response(case_id=case_id)
            rule = unstated_rule(check.name, answer, failure.message)
            if rule:
                run.unstated[rule] += 1
                continue
            what = f"{check.name}: {failure.operation}: {failure.title}{why(answer)}"
            run.failures[what] += 1
            said = f"{answer.status_code} {answer.text[:200]}" if answer else "no answer"
            sample = check.failure_info.code_sample[:300]
            run.samples.setdefault(what, f"{sample}\n    -> {said}\n    {failure.message[:300]}")
    for case_id, interaction in event.recorder.interactions.items():
        answer = interaction.response
        uri = interaction.request.uri
        if answer and case_id in event.recorder.cases:
            run.waited[event.recorder.cases[case_id].value.operation.label] += answer.elapsed
        if answer and answer.status_code < 300 and any(id_ in uri for id_ in run.watched):
            run.leaks.append(f"{interaction.request.method} {uri} -> {answer.status_code}")


def unstated_rule(check: str, answer: Response | None, message: str) -> str:
    """The CANNOT_STATE rule a failed check is, or "" (a real failure)."""
    if check == "negative_data_rejection" and MULTIPART_TYPE in message:
        return "a number in multipart is text (schemathesis)"
    if check != "positive_data_acceptance" or answer is None or answer.status_code != 422:
        return ""
    return next((rule for rule, said in CANNOT_STATE.items() if said in answer.text), "")


def why(answer: Response | None) -> str:
    """What an answer said was wrong, so each rule is counted on its own: " (422 invalid_request:
    event_date)"."""
    if answer is None or answer.status_code < 400:
        return ""
    try:
        body = json.loads(answer.text)
        fields = ", ".join(sorted({str(f.get("field", "")) for f in body.get("fields", [])}))
        return f" ({answer.status_code} {body.get('error')}: {fields})"
    except (ValueError, AttributeError):
        return f" ({answer.status_code})"


def report(run: Run, who: str) -> str:
    lines = [run.summary(who)]
    for what, count in run.failures.most_common():
        lines.append(f"  {count}x {what}\n    {run.samples[what]}")
    lines += [f"  {count}x not statable: {rule}" for rule, count in run.unstated.most_common()]
    lines += [f"  error: {e}" for e in run.errors]
    lines += [f"  another school's id answered: {leak}" for leak in run.leaks]
    return "\n".join(lines)


@pytest.mark.timeout(2 * RUN_BUDGET_S + 120)
async def test_the_api_keeps_its_contract_for_its_school_and_a_foreign_one(
    own_stack: StackFactory,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with own_stack(public_base_url=base) as s, served(s.app, port):
        # The school's own event, which the foreign key then tries to reach by its ids.
        mine = (await s.api.post("/v1/events", json=event("mine"), headers=s.auth())).json()
        people = f"/v1/events/{mine['id']}/participants"
        [teacher] = (await s.api.get(people, headers=s.auth())).json()["items"]
        _, foreign_key = await s.new_school()
        ids = {"event_id": mine["id"], "participant_id": teacher["id"]}
        foreign = await contract(base, foreign_key, ids)
        print(report(foreign, "foreign key, this school's ids"))

        # Whatever the foreign key tried, this school's event is as it was.
        after = (await s.api.get(f"/v1/events/{mine['id']}", headers=s.auth())).json()
        [still] = (await s.api.get(people, headers=s.auth())).json()["items"]

        # Then the school's own key, last: it may erase the school's data (POST /v1/school/erasure).
        own = await contract(base, s.key)
        print(report(own, "own key"))

    for run, who in ((own, "own key"), (foreign, "foreign key")):
        assert not run.errors, report(run, who)
        assert len(run.operations) >= 30, report(run, who)
        assert not run.failures, report(run, who)
    assert own.stateful > 0, report(own, "own key")  # the links were followed
    assert foreign.examples > 500 and not foreign.leaks, report(foreign, "foreign key")
    assert after["event"]["cancelled"] is False and after["event"]["participant_count"] == 1
    # Still there, same address, still being followed through (not paused or withdrawn).
    assert still["email"] == teacher["email"]
    assert still["stage"] in ("scheduled", "awaiting_answer", "waiting"), still
