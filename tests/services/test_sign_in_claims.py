"""Whose accounts a provider may vouch for, by kind (Microsoft's tenant, Google's Workspace
domain), and the client secret kept sealed across a secret rotation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from cpd.models import SignInProvider
from cpd.sealed import seal, unseal
from cpd.settings import Settings
from services.errors import Unauthorized
from services.oidc import vouched_email
from services.providers import GOOGLE, microsoft_issuer

MICROSOFT = SignInProvider(
    kind="microsoft",
    issuer=microsoft_issuer("tenant-1"),
    client_id="app",
    email_domains="hillside.sch.uk",
    tenant_ids="tenant-1",
)
GOOGLE_WORKSPACE = SignInProvider(
    kind="google", issuer=GOOGLE, client_id="app", email_domains="hillside.sch.uk"
)


def refusal(provider: SignInProvider, claims: dict[str, Any]) -> str:
    with pytest.raises(Unauthorized) as refused:
        vouched_email(provider, claims)
    return refused.value.detail


def test_microsoft_accounts_must_come_from_the_schools_tenant() -> None:
    mine = {"tid": "tenant-1", "email": "Head@Hillside.sch.uk"}
    assert vouched_email(MICROSOFT, mine) == "head@hillside.sch.uk"
    # Entra gives no email_verified: the tenant vouches; the sign-in name will do.
    upn = {"tid": "tenant-1", "preferred_username": "head@hillside.sch.uk"}
    assert vouched_email(MICROSOFT, upn) == "head@hillside.sch.uk"
    elsewhere = {"tid": "tenant-2", "email": "head@hillside.sch.uk"}
    assert "another organisation" in refusal(MICROSOFT, elsewhere)
    other_domain = {"tid": "tenant-1", "email": "head@gmail.com"}
    assert "@gmail.com cannot sign in" in refusal(MICROSOFT, other_domain)


def test_google_accounts_must_be_verified_and_from_the_workspace_domain() -> None:
    good = {"email": "head@hillside.sch.uk", "email_verified": True, "hd": "hillside.sch.uk"}
    assert vouched_email(GOOGLE_WORKSPACE, good) == "head@hillside.sch.uk"
    assert "not verified" in refusal(GOOGLE_WORKSPACE, {**good, "email_verified": False})
    # A personal Google account with the school's address has no hd claim.
    personal = {k: v for k, v in good.items() if k != "hd"}
    assert "Google Workspace" in refusal(GOOGLE_WORKSPACE, personal)
    assert "email address" in refusal(GOOGLE_WORKSPACE, {"email_verified": True, "hd": "x"})


def test_a_sealed_secret_opens_after_the_app_secret_is_rotated() -> None:
    before = Settings(environment="test", secret_key=SecretStr("first-secret-" + "x" * 20))
    sealed = seal(before, "client-secret")
    assert "client-secret" not in sealed and unseal(before, sealed) == "client-secret"
    after = Settings(
        environment="test",
        secret_key=SecretStr("second-secret-" + "y" * 20),
        old_secret_keys=[SecretStr("first-secret-" + "x" * 20)],
    )
    assert unseal(after, sealed) == "client-secret"
    forgotten = Settings(environment="test", secret_key=SecretStr("second-secret-" + "y" * 20))
    with pytest.raises(ValueError, match="no longer has"):
        unseal(forgotten, sealed)
