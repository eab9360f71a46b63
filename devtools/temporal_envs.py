"""The two Temporal servers as throwaway environments, for the tests and the benchmarks.

The time-skipping test server (Java) for a year in seconds, and the dev
server (the ``temporal`` CLI) with our search attributes for a real clock and
visibility; both found or installed by devtools/servers.py. Give them the data
converter the service itself uses (cpd.temporal.data_converter) where a worker or
the API may run in a process of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from cpd.names import SEARCH_ATTRIBUTES
from devtools import servers


@asynccontextmanager
async def time_skipping(
    data_converter: DataConverter = pydantic_data_converter,
    runtime: Runtime | None = None,
) -> AsyncIterator[WorkflowEnvironment]:
    """``runtime``: the SDK runtime of the client and of the workers built on it (the
    process's default if None); a benchmark reads the workers' timings from its metrics."""
    path = servers.time_skipping_server()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter,
        runtime=runtime,
        test_server_existing_path=str(path) if path else None,
        # A JVM on a small machine needs longer than the SDK's 5 s default.
        test_server_startup_timeout=timedelta(seconds=120),
    )
    try:
        # The participant workflow upserts these; the test server must know them.
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for k in SEARCH_ATTRIBUTES
                },
            )
        )
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def dev_server(
    data_converter: DataConverter = pydantic_data_converter,
) -> AsyncIterator[WorkflowEnvironment]:
    path = servers.temporal_cli()
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=str(path) if path else None,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()
