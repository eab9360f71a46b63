"""The raw baselines: workflows that do (almost) nothing.

They show what the Temporal server and the SDK cost on their own, so the
product's figures can be read as a ratio to them rather than in isolation.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

YEAR = timedelta(days=365)


@workflow.defn
class NoopWorkflow:
    """Completes on its first workflow task: the cost of a start, and nothing else."""

    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn
class YearOfWakeupsWorkflow:
    """A year slept in ``wakeups`` equal timers. One timer is the time-skipping server's
    floor for "a year passes"; as many as a participant's year sets is the floor for a
    year that wakes as often, each wake a workflow task that does nothing."""

    @workflow.run
    async def run(self, wakeups: int) -> None:
        for _ in range(wakeups):
            await workflow.sleep(YEAR / wakeups)
