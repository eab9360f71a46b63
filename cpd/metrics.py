"""What an operator counts: Prometheus metrics (prometheus-client), one set per process.

The API serves them on ``/metrics``; a worker and the reply server on their own port
(``CPD_METRICS_PORT``), beside the Temporal SDK's runtime metrics
(``CPD_TEMPORAL_METRICS_ADDRESS``). Where several processes share a host and a
``PROMETHEUS_MULTIPROC_DIR`` (the dev stack), the API's ``/metrics`` adds them all up.
Labels are small fixed sets: never an address, a name or an id.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

EMAILS = Counter(
    "cpd_emails",
    "Emails to teachers, by outcome (sent, deferred, bounced, failed) and reason",
    ["outcome", "reason"],
)
DIRECT_EMAILS = Counter(
    "cpd_direct_emails",
    "Emails sent at once, outside the workflows: sign-in links, leaders' emails, ask-backs",
    ["kind"],
)
ANSWERS = Counter("cpd_answers", "Answers recorded, by channel (link, reply)", ["channel"])
SIGNINS = Counter("cpd_signins", "Dashboard sign-ins, by method and outcome", ["method", "outcome"])
HTTP_SECONDS = Histogram(
    "cpd_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def email(outcome: str, reason: str = "") -> None:
    EMAILS.labels(outcome=outcome, reason=reason).inc()


def exposition() -> tuple[bytes, str]:
    """This process's metrics, or every process's on this host in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - a container's port
    """Expose this process's metrics on ``port`` (0: not at all)."""
    if port:
        start_http_server(port, addr=host)
