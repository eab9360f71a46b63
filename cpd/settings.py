"""All configuration, read once from the environment (prefix ``CPD_``).

Fails closed: a deployment is production unless it says it is development or test, or
its public address is this machine's own (loopback), as the embedded stack's is. So
``./scripts/dev`` runs with no set-up, and a server that forgets ``CPD_ENVIRONMENT``
refuses the placeholder secret (public in the repository) instead of running on it.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cpd.codec import parse_keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside development
Environment = Literal["development", "test", "production"]


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_relay(host: str) -> bool:
    """Loopback, or a one-label name (``mailpit``): a container or host on the same private
    network, which a name needing no domain can only be. A relay elsewhere has a domain."""
    return is_loopback(host) or ("." not in host and ":" not in host and bool(host))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPD_", env_file=".env", extra="ignore")

    # Empty: development if public_base_url is loopback, production otherwise.
    environment: Environment | Literal[""] = ""
    data_dir: Path = PROJECT_ROOT / "data"

    database_url: str = ""  # empty: SQLite file in data_dir
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Earlier secret keys, comma separated: links and sign-in links signed with them still
    # verify (and payloads encrypted with a key derived from one still decrypt), but nothing
    # new is signed with them. Rotation: move the old key here, set a new CPD_SECRET_KEY.
    old_secret_keys: Annotated[list[SecretStr], NoDecode] = []
    public_base_url: str = "http://127.0.0.1:8000"

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    # TLS to Temporal: on with an API key or a client certificate too (Temporal Cloud).
    temporal_tls: bool = False
    # PEM files: the server's CA (empty: the system's roots), and a client certificate
    # and key for mutual TLS.
    temporal_tls_ca_file: Path | None = None
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_api_key: SecretStr = SecretStr("")
    task_queue: str = "cpd-followthrough"
    # A stopping worker gives in-flight activities (an email half sent) this long to finish
    # before they are cancelled and retried elsewhere; keep it under the orchestrator's grace
    # period (docker-compose's stop_grace_period).
    worker_shutdown_seconds: float = Field(default=30.0, ge=0)
    # Workflows a worker keeps in memory between their tasks (the SDK's sticky cache); one
    # not kept is rebuilt from its history when next woken. 0: none kept.
    worker_max_cached_workflows: int = Field(default=200, ge=0)
    # Participants' workflow tasks a worker runs at once (the SDK's default is 100). Each
    # holds its local activities (reads, writes, the send) while the others share one
    # Python thread: at 100, a 5,000-teacher fan-out had thousands of tasks over 5 s (and
    # Temporal gives one up at 10 s and runs it again); the rest wait on the server, where
    # waiting costs no task time (docs/BENCHMARKS.md).
    worker_max_concurrent_workflow_tasks: int = Field(default=8, ge=2)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = 30.0
    # Connections kept open and reused per worker, and sends a second per worker (0: no limit).
    smtp_pool_size: int = 4
    smtp_rate_per_second: float = 20.0
    # One send attempt's time limit; Temporal retries after it if a worker died mid-send.
    send_timeout_seconds: int = 120
    # How long a teacher's answer waits for their workflow to take it before the page says
    # it could not be confirmed yet (a busy worker); the workflow may still take it. Under
    # the 60 s a proxy in front commonly allows a response (nginx's proxy_read_timeout).
    answer_wait_seconds: float = 45.0
    mail_from: str = "CPD Follow-through <followthrough@localhost>"
    mail_reply_domain: str = "localhost"
    # Where emailed replies are received (the reply domain's MX points here).
    inbound_smtp_host: str = "127.0.0.1"
    inbound_smtp_port: int = 2525

    # At most this many emails reach one teacher in a week, across all their
    # follow-throughs; reminders are dropped first, then sends move to next week.
    email_budget_per_week: int = 3

    # A large event's participants begin at most this many a second (after the first
    # fan_out_burst): all are started at once, durably, but each one's first workflow
    # task waits until the whole event is expected to be started, then is spread out at
    # about the pace mail can leave (activities/fanout.py). 0: all begin at once.
    fan_out_begin_per_second: float = 20.0
    fan_out_burst: int = 100
    # `cpd worker` running the participants' lane lowers its own CPU priority by this
    # (Unix nice, 0-19): where it shares a machine, the app's pages, the Temporal
    # server and the fan-out's starts come first, and the participants' paced
    # background work takes the rest. On a machine with cores to spare it changes
    # nothing. 0: the same priority as everything else.
    worker_nice: int = Field(default=10, ge=0, le=19)

    # How often the worker sends leaders what is due: help requests (services/support.py),
    # the weekly summary (services/digest.py).
    help_notify_seconds: float = Field(default=300.0, gt=0)

    # A participant's workflow continues as new past this many history events
    # (Temporal's hard limit is 50k); a weekly coaching year stays well under it.
    workflow_history_limit: int = 5_000

    # Evidence files: where they are kept (default data_dir/evidence) and the size limit.
    evidence_dir: Path | None = None
    evidence_max_bytes: int = 10 * 1024 * 1024

    # Keys that encrypt what the service hands Temporal (cpd/codec.py): "id:base64key", comma
    # separated, the first encrypting and all decrypting. Empty: one key derived from
    # secret_key. A key: python -c "import os,base64;print(base64.b64encode(os.urandom(32)))"
    payload_keys: str = ""

    # How long a portfolio link in an email keeps working. Answer and unsubscribe links do
    # not expire: the follow-through decides what can still be answered, and a change of
    # address (or a teacher asking for fresh links) revokes them all.
    portfolio_link_max_age_days: int = Field(default=400, ge=1)

    # Observability (docs/OPERATIONS.md). Logs: "json" lines, or "text"; empty: json in
    # production, text elsewhere.
    log_format: Literal["", "json", "text"] = ""
    # A worker's or the reply server's own metrics port (0: none; the API has /metrics).
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # Where a worker exposes the Temporal SDK's metrics ("0.0.0.0:9465"); empty: nowhere.
    temporal_metrics_address: str = ""
    # OTLP/HTTP traces endpoint; empty: tracing off.
    otel_endpoint: str = ""

    # Where the embedded SMTP server keeps every message (dev mailbox page).
    # Empty outside development: the page does not exist there.
    dev_mailbox_dir: Path | None = None

    @field_validator("payload_keys")
    @classmethod
    def _keys_parse(cls, value: str) -> str:
        parse_keys(value)
        return value

    @field_validator("old_secret_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _fail_closed(self) -> Settings:
        if not self.environment:
            local = is_loopback(urlsplit(self.public_base_url).hostname or "")
            self.environment = "development" if local else "production"
        problems = []
        if self.smtp_security == "none" and not is_local_relay(self.smtp_host):
            # A password, and every link that signs a teacher or leader in, in clear text.
            problems.append(
                f"CPD_SMTP_SECURITY=none is only for a relay on this machine or its private "
                f"network, not {self.smtp_host}: use starttls or tls"
            )
        if self.environment == "production":
            problems += self._production_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _production_problems(self) -> list[str]:
        problems = []
        secrets = [self.secret_key, *self.old_secret_keys]
        if any(s.get_secret_value() == PLACEHOLDER_SECRET for s in secrets):
            problems.append(
                "the placeholder secret is public: set CPD_SECRET_KEY to your own random value "
                "(outside development: set CPD_ENVIRONMENT=development only on a test machine)"
            )
        elif len(self.secret_key.get_secret_value()) < 32:
            problems.append("CPD_SECRET_KEY must be a random value of 32+ characters")
        if not self.database_url:
            problems.append("CPD_DATABASE_URL must be set (PostgreSQL) in production")
        if self.dev_mailbox_dir is not None:
            problems.append("CPD_DEV_MAILBOX_DIR must not be set in production")
        return problems

    @property
    def answer_wait(self) -> timedelta:
        return timedelta(seconds=self.answer_wait_seconds)

    @property
    def secret(self) -> str:
        """The current secret: what signs and derives everything new."""
        return self.secret_key.get_secret_value()

    @property
    def verifying_secrets(self) -> list[str]:
        """Every secret a signature may have been made with, the current one last
        (itsdangerous signs with the last of a list and verifies with any)."""
        return [*(s.get_secret_value() for s in self.old_secret_keys), self.secret]

    def as_environment(self, **overrides: object) -> dict[str, str]:
        """The CPD_ variables that make ``Settings()`` in another process equal these (with
        ``overrides``): how the tests and benchmarks start workers as deployed."""
        values = {**self.model_dump(), **overrides}
        return {f"CPD_{k.upper()}": _as_env(v) for k, v in values.items() if v is not None}

    @property
    def resolved_evidence_dir(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (
            not self.log_format and self.environment == "production"
        )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'app.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def _as_env(value: object) -> str:
    # Secrets as themselves (a SecretStr prints stars), lists as the settings read them
    # (comma-separated), booleans as pydantic reads them.
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return ",".join(_as_env(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
