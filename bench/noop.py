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
class YearSleepWorkflow:
    """One timer of a year: the time-skipping server's floor for "a year passes"."""

    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(YEAR)
