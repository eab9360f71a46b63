"""OpenTelemetry tracing, off by default.

Set ``CPD_OTEL_ENDPOINT`` (an OTLP/HTTP traces URL, such as a collector's
``http://otel-collector:4318/v1/traces``) and one trace follows a trigger from the
HTTP request into Temporal, the workflow and its activities: the API is instrumented
(FastAPI), and the Temporal SDK's ``TracingInterceptor`` carries the context through
the client and the worker.
"""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor


def tracer_provider(
    endpoint: str, process: str, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Where this process's spans go; None when tracing is off (no endpoint, no exporter)."""
    if exporter is None and not endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": f"cpd-{process}"}))
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter(endpoint)))
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """For Client.connect: a worker built on that client traces its workflows too."""
    if provider is None:
        return []
    return [TracingInterceptor(provider.get_tracer("cpd.temporal"))]
