"""All configuration, read once from the environment (prefix ``CPD_``).

Development defaults make the embedded stack run with no set-up; outside
development the secrets must be set and placeholders are refused.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cpd.codec import parse_keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPD_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / "data"

    database_url: str = ""  # empty: SQLite file in data_dir
    secret_key: str = PLACEHOLDER_SECRET
    public_base_url: str = "http://127.0.0.1:8000"

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "cpd-followthrough"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 30.0
    # Connections kept open and reused per worker, and sends a second per worker (0: no limit).
    smtp_pool_size: int = 4
    smtp_rate_per_second: float = 20.0
    # One send attempt's time limit; Temporal retries after it if a worker died mid-send.
    send_timeout_seconds: int = 120
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
    # task is spread out at about the pace mail can leave. 0: all begin at once.
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

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
            problems.append("CPD_SECRET_KEY must be set to a random value of 32+ characters")
        if not self.database_url:
            problems.append("CPD_DATABASE_URL must be set (PostgreSQL) in production")
        if self.dev_mailbox_dir is not None:
            problems.append("CPD_DEV_MAILBOX_DIR must not be set in production")
        if problems:
            raise ValueError("; ".join(problems))
        return self

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
