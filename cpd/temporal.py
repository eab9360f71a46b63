"""Connecting to Temporal, and what its errors mean to us, the same way everywhere."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from cpd.codec import EncryptionCodec, derived_key, parse_keys
from cpd.settings import Settings


def payload_codec(settings: Settings) -> EncryptionCodec:
    keys = parse_keys(settings.payload_keys)
    if not keys:
        key_id, key = derived_key(settings.secret_key)
        keys = {key_id: key}
    return EncryptionCodec(keys, current=next(iter(keys)))


def data_converter(settings: Settings) -> DataConverter:
    # Workflow inputs and results are pydantic models throughout, encrypted on the way out.
    return dataclasses.replace(pydantic_data_converter, payload_codec=payload_codec(settings))


async def connect(
    settings: Settings,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
) -> Client:
    """This deployment's Temporal client; ``interceptors`` (tracing) reach a worker built on
    it, and ``runtime`` carries the SDK's own telemetry (a worker's Prometheus metrics)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        interceptors=interceptors,
        runtime=runtime,
    )


def sdk_metrics_runtime(bind_address: str) -> Runtime | None:
    """A runtime exposing the SDK's metrics (task latencies, slots, polls) for Prometheus
    on ``bind_address`` ("0.0.0.0:9465"); None: the default runtime, no metrics."""
    if not bind_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


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
