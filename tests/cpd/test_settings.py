"""Settings: development runs with no set-up; production refuses placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cpd.settings import PLACEHOLDER_SECRET, Settings


def test_production_refuses_the_placeholder_secret_and_missing_database() -> None:
    with pytest.raises(ValidationError) as err:
        Settings(environment="production", secret_key=PLACEHOLDER_SECRET, database_url="")
    message = str(err.value)
    assert "CPD_SECRET_KEY" in message
    assert "CPD_DATABASE_URL" in message


def test_production_refuses_the_dev_mailbox() -> None:
    with pytest.raises(ValidationError, match="CPD_DEV_MAILBOX_DIR"):
        Settings(
            environment="production",
            secret_key="k" * 40,
            database_url="postgresql+asyncpg://u:p@db/app",
            dev_mailbox_dir=Path("/tmp/mail"),
        )


def test_production_accepts_real_values_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CPD_SMTP_PORT", "2525")
    s = Settings(
        environment="production",
        secret_key="k" * 40,
        database_url="postgresql+asyncpg://u:p@db/app",
    )
    assert s.smtp_port == 2525
    assert s.resolved_database_url == "postgresql+asyncpg://u:p@db/app"


def test_development_defaults_to_sqlite_in_the_data_folder() -> None:
    s = Settings(environment="development", database_url="")
    assert s.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert s.resolved_database_url.endswith("/app.db")
