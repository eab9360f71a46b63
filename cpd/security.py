"""Signed answer links and school API keys.

Links use itsdangerous (HMAC-SHA1 by default; we ask for SHA-256) so no
crypto is hand-rolled. Each token is bound to one participant, one step and
one purpose, so a link cannot be replayed against another step, and carries the
participant's link version, so a change of address revokes every earlier link
(services/links.py checks it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cpd.i18n import N_
from cpd.settings import Settings

_SALT = "cpd-answer-link-v1"


EXPIRED = N_("This link has expired. The next email will bring a fresh one.")


class LinkError(Exception):
    """A link that cannot be honoured; ``reason`` is safe to show the teacher."""

    def __init__(
        self, reason: str, expired: bool = False, language: str = "en", participant_id: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired
        # The teacher's language, when the link says whose it is (cpd/i18n.py).
        self.language = language
        # Whose link it was, when its signature held but its time ran out: their language
        # is looked up for the page (services/links.py).
        self.participant_id = participant_id


@dataclass(frozen=True)
class LinkClaims:
    participant_id: str
    step_id: str
    purpose: str
    # The participant's link version when it was signed: a newer one revokes the link.
    version: int = 0
    # A portfolio link's other follow-throughs (participant id, version) of the same teacher.
    also: tuple[tuple[str, int], ...] = ()


class LinkSigner:
    """Signs links for the given purposes, each with its own lifetime (None: no expiry,
    as for answer and unsubscribe links, which stop when revoked or when the workflow ends).

    ``secret_keys``: the current one last, which signs; earlier ones still verify, so a
    secret can be rotated without breaking the links already in people's inboxes."""

    def __init__(self, secret_keys: Sequence[str], lifetimes: Mapping[str, int | None]) -> None:
        self._serializer = URLSafeTimedSerializer(
            list(secret_keys), salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self._lifetimes = dict(lifetimes)

    def sign(
        self,
        participant_id: str,
        step_id: str,
        purpose: str,
        version: int = 0,
        also: Sequence[tuple[str, int]] = (),
    ) -> str:
        data: dict[str, Any] = {"p": participant_id, "s": step_id, "u": purpose}
        if version:
            data["v"] = version
        if also:
            data["a"] = [list(pair) for pair in also]
        return self._serializer.dumps(data)

    def _whose(self, payload: Any) -> str:
        # An expired link's signature was checked before its age: the payload is ours.
        try:
            data = self._serializer.load_payload(payload)
            return str(data["p"]) if isinstance(data, dict) else ""
        except Exception:
            return ""

    def verify(self, token: str, purpose: str) -> LinkClaims:
        if purpose not in self._lifetimes:
            raise LinkError("This link is for something else. Please use the right email link.")
        try:
            data = self._serializer.loads(token, max_age=self._lifetimes[purpose])
        except SignatureExpired as exc:
            raise LinkError(EXPIRED, expired=True, participant_id=self._whose(exc.payload)) from exc
        except BadSignature as exc:
            raise LinkError("This link is not valid. Please use the link from your email.") from exc
        if not isinstance(data, dict) or data.get("u") != purpose:
            raise LinkError("This link is for something else. Please use the right email link.")
        try:
            also = tuple((str(pid), int(v)) for pid, v in data.get("a", []))
            return LinkClaims(
                participant_id=str(data["p"]),
                step_id=str(data["s"]),
                purpose=purpose,
                version=int(data.get("v", 0)),
                also=also,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkError("This link is not valid. Please use the link from your email.") from exc


def link_signer(settings: Settings) -> LinkSigner:
    """The signer of the links in teachers' emails: the worker signs, the API verifies."""
    return LinkSigner(
        settings.verifying_secrets,
        {
            "answer": None,
            "pause": None,
            "portfolio": settings.portfolio_link_max_age_days * 86400,
            # A CPD lead's "no more weekly summaries" link (services/digest.py).
            "digest": None,
            # "Did the support help?" in the step email after a lead marked it given.
            "support": None,
            # A CPD lead's one-tap answer to a level 3 question (services/leader_checks.py).
            "leader_check": None,
        },
    )


@dataclass(frozen=True)
class Links:
    """The signed links one email to a teacher carries."""

    answer: str
    pause: str
    portfolio: str
    # "Did the support help?" (services/support.py), when this email asks it.
    support: str = ""


def signed_links(
    signer: LinkSigner,
    base_url: str,
    participant_id: str,
    step_id: str,
    scope: Sequence[tuple[str, int]],
    help_request: int | None = None,
) -> Links:
    """Links for this participant at their current version; ``scope`` is what the portfolio
    link covers, this participant first (cpd/revocation.py ``portfolio_scope``);
    ``help_request``: the supported request this email asks about."""
    base = base_url.rstrip("/")
    version = scope[0][1] if scope else 0
    answer = signer.sign(participant_id, step_id, "answer", version)
    pause = signer.sign(participant_id, "*", "pause", version)
    portfolio = signer.sign(participant_id, "*", "portfolio", version, scope)
    support = ""
    if help_request is not None:
        support = f"{base}/s/" + signer.sign(participant_id, str(help_request), "support", version)
    return Links(f"{base}/a/{answer}", f"{base}/u/{pause}", f"{base}/p/{portfolio}", support)


# School API keys look like ``cpd_<prefix>_<secret>``. The prefix finds the row;
# the secret is compared by hash, so a database leak does not leak keys.
def new_api_key() -> tuple[str, str, str]:
    """Return (full key to show once, prefix, hash to store)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"cpd_{prefix}_{secret}", prefix, hash_api_secret(secret)


def hash_api_secret(secret: str) -> str:
    # Keys are 256-bit random, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "cpd" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def api_secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_secret(secret), stored_hash)
