"""Settings fail closed: only a loopback or declared development deployment runs on defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from cpd.security import LinkError, link_signer
from cpd.settings import PLACEHOLDER_SECRET, Settings
from cpd.temporal import connect_options, payload_codec

REAL_SECRET = "k" * 40
POSTGRES = "postgresql+asyncpg://u:p@db/app"


@pytest.fixture(autouse=True)
def _no_environment_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    # What these tests decide must not come from the shell that runs them.
    for name in ("CPD_ENVIRONMENT", "CPD_SECRET_KEY", "CPD_PUBLIC_BASE_URL", "CPD_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_the_placeholder_secret_and_missing_database() -> None:
    with pytest.raises(ValidationError) as err:
        Settings(environment="production", database_url="")
    message = str(err.value)
    assert "placeholder secret is public" in message
    assert "CPD_DATABASE_URL" in message


def test_a_public_address_without_an_environment_is_production() -> None:
    with pytest.raises(ValidationError, match="placeholder secret is public"):
        Settings(public_base_url="https://cpd.hillside.example", database_url=POSTGRES)
    s = Settings(
        public_base_url="https://cpd.hillside.example",
        database_url=POSTGRES,
        secret_key=SecretStr(REAL_SECRET),
    )
    assert s.environment == "production"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]
)
def test_loopback_runs_on_the_embedded_defaults(url: str) -> None:
    # What ./scripts/dev relies on: no configuration at all.
    s = Settings(public_base_url=url)
    assert s.environment == "development"
    assert s.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert s.resolved_database_url.endswith("/app.db")


def test_declared_development_or_test_may_use_the_placeholder_anywhere() -> None:
    for environment in ("development", "test"):
        s = Settings(environment=environment, public_base_url="https://staging.example")
        assert s.secret == PLACEHOLDER_SECRET


def test_production_refuses_a_short_secret_the_dev_mailbox_and_a_placeholder_old_key() -> None:
    with pytest.raises(ValidationError, match="32\\+ characters"):
        Settings(environment="production", database_url=POSTGRES, secret_key=SecretStr("short"))
    with pytest.raises(ValidationError, match="CPD_DEV_MAILBOX_DIR"):
        Settings(
            environment="production",
            secret_key=SecretStr(REAL_SECRET),
            database_url=POSTGRES,
            dev_mailbox_dir=Path("/tmp/mail"),
        )
    with pytest.raises(ValidationError, match="placeholder secret is public"):
        Settings(
            environment="production",
            secret_key=SecretStr(REAL_SECRET),
            database_url=POSTGRES,
            old_secret_keys=[SecretStr(PLACEHOLDER_SECRET)],
        )


def test_production_accepts_real_values_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CPD_SMTP_PORT", "2525")
    s = Settings(environment="production", secret_key=SecretStr(REAL_SECRET), database_url=POSTGRES)
    assert s.smtp_port == 2525
    assert s.resolved_database_url == POSTGRES


def test_secrets_are_not_shown() -> None:
    s = Settings(
        secret_key=SecretStr(REAL_SECRET),
        smtp_password=SecretStr("relay-password"),
        temporal_api_key=SecretStr("temporal-key"),
    )
    shown = repr(s) + str(s.model_dump())
    assert REAL_SECRET not in shown and "relay-password" not in shown
    assert "temporal-key" not in shown


def test_plain_smtp_only_to_a_local_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="CPD_SMTP_SECURITY=none"):
        Settings(smtp_host="smtp.relay.example", smtp_security="none")
    for local in ("127.0.0.1", "localhost", "::1", "mailpit"):
        assert Settings(smtp_host=local, smtp_security="none").smtp_host == local
    assert Settings(smtp_host="smtp.relay.example", smtp_security="starttls").smtp_port == 1025
    # From the environment too, as a deployment sets it.
    monkeypatch.setenv("CPD_SMTP_HOST", "smtp.relay.example")
    with pytest.raises(ValidationError, match="use starttls or tls"):
        Settings()


def test_old_secret_keys_verify_but_never_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    before = Settings(secret_key=SecretStr("old-" + REAL_SECRET))
    monkeypatch.setenv("CPD_OLD_SECRET_KEYS", "old-" + REAL_SECRET + ", older-" + REAL_SECRET)
    after = Settings(secret_key=SecretStr("new-" + REAL_SECRET))
    assert len(after.old_secret_keys) == 2

    in_an_inbox = link_signer(before).sign("p1", "step", "answer")
    assert link_signer(after).verify(in_an_inbox, "answer").participant_id == "p1"
    signed_now = link_signer(after).sign("p1", "step", "answer")
    with pytest.raises(LinkError):
        link_signer(before).verify(signed_now, "answer")  # signed with the new secret

    monkeypatch.delenv("CPD_OLD_SECRET_KEYS")
    dropped = Settings(secret_key=SecretStr("new-" + REAL_SECRET))
    with pytest.raises(LinkError):
        link_signer(dropped).verify(in_an_inbox, "answer")


async def test_payloads_written_before_a_rotation_still_decrypt() -> None:
    from temporalio.api.common.v1 import Payload

    before = Settings(secret_key=SecretStr("old-" + REAL_SECRET))
    after = Settings(
        secret_key=SecretStr("new-" + REAL_SECRET),
        old_secret_keys=[SecretStr("old-" + REAL_SECRET)],
    )
    [stored] = await payload_codec(before).encode([Payload(data=b"Ada's plan")])
    [opened] = await payload_codec(after).decode([stored])
    assert opened.data == b"Ada's plan"
    [new] = await payload_codec(after).encode([Payload(data=b"x")])
    assert new.metadata != stored.metadata  # encrypted under the new secret's key


def test_temporal_tls_and_api_key(tmp_path: Path) -> None:
    plain = connect_options(Settings(temporal_namespace="school-ns"))
    assert plain == {"namespace": "school-ns", "tls": False, "api_key": None}
    cloud = connect_options(Settings(temporal_api_key=SecretStr("tmprl-key")))
    assert cloud["tls"] is True and cloud["api_key"] == "tmprl-key"
    ca, cert, key = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    for path in (ca, cert, key):
        path.write_bytes(f"-----{path.name}-----".encode())
    mtls = connect_options(
        Settings(temporal_tls_ca_file=ca, temporal_tls_cert_file=cert, temporal_tls_key_file=key)
    )["tls"]
    assert mtls.server_root_ca_cert == b"-----ca.pem-----"
    assert mtls.client_cert == b"-----cert.pem-----"
    assert mtls.client_private_key == b"-----key.pem-----"
