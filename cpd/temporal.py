"""Connecting to Temporal, and what its errors mean to us, the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from cpd.settings import Settings


async def connect(settings: Settings) -> Client:
    # Workflow inputs and results are pydantic models throughout.
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


class WorkflowGone(Exception):
    """The workflow has ended (or never started): nothing is left to signal, update or delete."""


@contextmanager
def gone_if_not_found() -> Iterator[None]:
    """Temporal's NOT_FOUND, read once for every caller: the workflow has ended."""
    try:
        yield
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise WorkflowGone(exc.message) from exc
        raise
