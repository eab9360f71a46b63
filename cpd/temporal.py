"""Connecting to Temporal, and what its errors mean to us, the same way everywhere."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from cpd.codec import EncryptionCodec, derived_key, parse_keys
from cpd.settings import Settings


def payload_codec(settings: Settings) -> EncryptionCodec:
    keys = parse_keys(settings.payload_keys)
    if not keys:
        # The current secret's key encrypts; the old secrets' keys still decrypt the
        # histories written before a rotation.
        keys = dict(derived_key(s) for s in reversed(settings.verifying_secrets))
    return EncryptionCodec(keys, current=next(iter(keys)))


def data_converter(settings: Settings) -> DataConverter:
    # Workflow inputs and results are pydantic models throughout, encrypted on the way out.
    return dataclasses.replace(pydantic_data_converter, payload_codec=payload_codec(settings))


def connect_options(settings: Settings) -> dict[str, Any]:
    """``Client.connect``'s namespace, TLS and API key, from the settings."""
    api_key = settings.temporal_api_key.get_secret_value() or None
    files = (
        settings.temporal_tls_ca_file,
        settings.temporal_tls_cert_file,
        settings.temporal_tls_key_file,
    )
    tls: bool | TLSConfig = settings.temporal_tls or api_key is not None
    if any(files):
        ca, cert, key = (f.read_bytes() if f else None for f in files)
        tls = TLSConfig(server_root_ca_cert=ca, client_cert=cert, client_private_key=key)
    return {"namespace": settings.temporal_namespace, "tls": tls, "api_key": api_key}


async def connect(
    settings: Settings,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
) -> Client:
    """This deployment's Temporal client; ``interceptors`` (tracing) reach a worker built on
    it, and ``runtime`` carries the SDK's own telemetry (a worker's Prometheus metrics)."""
    return await Client.connect(
        settings.temporal_address,
        data_converter=data_converter(settings),
        interceptors=interceptors,
        runtime=runtime,
        **connect_options(settings),
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
