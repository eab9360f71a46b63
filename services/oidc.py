"""Signing in through a school's own provider: OpenID Connect's authorization code flow,
with PKCE (S256), state and nonce.

``begin`` makes the address the browser is sent to and what it must bring back (kept in a
signed cookie by the API); ``finish`` exchanges the code, validates the ID token (signature
from the provider's published keys, issuer, audience, expiry, nonce) and checks the
account is one the provider may vouch for (verified email in an allowed domain; for
Microsoft, an allowed tenant; for Google, an allowed Workspace domain). Who that person
may then see is services/signin.py's business.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from cpd.db import Db
from cpd.models import SignInProvider
from cpd.sealed import unseal
from cpd.settings import Settings
from services.errors import Unauthorized

# Provider metadata and keys are fetched again after this long (keys also when a token is
# signed with one we have not seen: the provider rotated them).
CACHE_SECONDS = 600
# Clocks differ a little between us and the provider.
LEEWAY_SECONDS = 60
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")

_cache: dict[str, tuple[float, dict[str, Any], dict[str, Any]]] = {}

TRY_AGAIN = "Signing in with your school account did not work. Please try again."


@dataclass(frozen=True)
class Pending:
    """What the browser keeps between leaving for the provider and coming back."""

    provider_id: int
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Identity:
    email: str
    provider_id: int


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    response.raise_for_status()
    found = response.json()
    if not isinstance(found, dict):
        raise ValueError(f"{url} is not a JSON object")
    return found


async def _metadata(issuer: str, fresh_keys: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's discovery document and its signing keys (JWKS)."""
    cached = _cache.get(issuer)
    if cached and not fresh_keys and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1], cached[2]
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            meta = await _get_json(client, f"{issuer}/.well-known/openid-configuration")
            # The discovery document must name the issuer we asked (OpenID Discovery 4.3).
            if meta.get("issuer") != issuer:
                raise ValueError(f"discovery names issuer {meta.get('issuer')!r}, not {issuer!r}")
            keys = await _get_json(client, str(meta["jwks_uri"]))
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise Unauthorized(
            "Your school's sign-in service could not be reached. Please try again, or use "
            "the emailed link."
        ) from exc
    _cache[issuer] = (time.monotonic(), meta, keys)
    return meta, keys


async def _provider(db: Db, provider_id: int) -> SignInProvider:
    provider = await db.get(SignInProvider, provider_id)
    if provider is None:
        raise Unauthorized("That school sign-in is no longer set up. Use the emailed link.")
    return provider


async def begin(
    db: Db, provider_id: int, redirect_uri: str, email: str = ""
) -> tuple[str, Pending]:
    """Where to send the browser, and what it must bring back."""
    provider = await _provider(db, provider_id)
    meta, _ = await _metadata(provider.issuer)
    pending = Pending(
        provider_id=provider_id,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
    )
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": create_s256_code_challenge(pending.verifier),
        "code_challenge_method": "S256",
    }
    if email:
        params["login_hint"] = email
    domains = provider.email_domains.split()
    if provider.kind == "google" and len(domains) == 1:
        params["hd"] = domains[0]  # Google shows that Workspace domain's accounts only
    return f"{meta['authorization_endpoint']}?{urlencode(params)}", pending


async def finish(
    db: Db, settings: Settings, pending: Pending, code: str, redirect_uri: str
) -> Identity:
    """The verified person the provider sent back; Unauthorized saying why not."""
    provider = await _provider(db, pending.provider_id)
    meta, keys = await _metadata(provider.issuer)
    id_token = await _exchange(settings, provider, meta, code, redirect_uri, pending.verifier)
    claims = await _validated(provider, id_token, keys, pending.nonce)
    return Identity(vouched_email(provider, claims), pending.provider_id)


async def _exchange(
    settings: Settings,
    provider: SignInProvider,
    meta: dict[str, Any],
    code: str,
    redirect_uri: str,
    verifier: str,
) -> str:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": provider.client_id,
    }
    secret = unseal(settings, provider.client_secret) if provider.client_secret else ""
    auth: httpx.BasicAuth | None = None
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if secret and "client_secret_basic" in methods:
        auth = httpx.BasicAuth(provider.client_id, secret)
    elif secret:
        data["client_secret"] = secret
    try:
        async with httpx.AsyncClient(timeout=10, auth=auth) as client:
            response = await client.post(str(meta["token_endpoint"]), data=data)
        response.raise_for_status()
        return str(response.json()["id_token"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise Unauthorized(TRY_AGAIN) from exc


async def _validated(
    provider: SignInProvider, id_token: str, keys: dict[str, Any], nonce: str
) -> dict[str, Any]:
    try:
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(keys), SIGNING_ALGORITHMS)  # type: ignore[arg-type]
        except JoseError:
            # Perhaps signed with a key the provider published since we looked.
            _, keys = await _metadata(provider.issuer, fresh_keys=True)
            token = jwt.decode(id_token, KeySet.import_key_set(keys), SIGNING_ALGORITHMS)  # type: ignore[arg-type]
    except (JoseError, ValueError) as exc:
        raise Unauthorized(
            "Your sign-in could not be verified (its signature did not match)."
        ) from exc
    claims: dict[str, Any] = dict(token.claims)
    rules = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        rules.validate(claims)
    except ExpiredTokenError as exc:
        raise Unauthorized("Your sign-in had expired. Please sign in again.") from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        raise Unauthorized(_claim_problem(exc.claim)) from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise Unauthorized(_claim_problem("aud"))
    return claims


def _claim_problem(claim: str) -> str:
    if claim == "aud":
        return "That sign-in was meant for another service, not this one."
    if claim == "iss":
        return "That sign-in came from another provider than your school's."
    if claim == "nonce":
        return "That sign-in was not the one this browser started. Please sign in again."
    if claim == "iat":
        return "That sign-in's time is wrong. Please sign in again."
    return TRY_AGAIN


def vouched_email(provider: SignInProvider, claims: dict[str, Any]) -> str:
    """The account's email, if the provider may vouch for it."""
    email = str(claims.get("email") or "").strip().lower()
    if provider.kind == "microsoft":
        # Entra says nothing of whether the address is verified: the tenant is what vouches
        # (its administrators set the addresses), so it must be the school's own.
        if str(claims.get("tid", "")).lower() not in provider.tenant_ids.split():
            raise Unauthorized("Your Microsoft account belongs to another organisation.")
        email = email or str(claims.get("preferred_username") or "").strip().lower()
    elif claims.get("email_verified") not in (True, "true"):
        raise Unauthorized("Your account's email address is not verified by your provider.")
    if not email or "@" not in email:
        raise Unauthorized("Your account did not give us its email address.")
    domains = provider.email_domains.split()
    if email.rpartition("@")[2] not in domains:
        raise Unauthorized(
            f"Accounts from @{email.rpartition('@')[2]} cannot sign in with this school's sign-in."
        )
    if provider.kind == "google" and str(claims.get("hd", "")).lower() not in domains:
        raise Unauthorized("Sign in with your school's Google Workspace account.")
    return email
