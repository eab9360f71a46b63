"""Small secrets the service must read again, kept encrypted at rest: a sign-in provider's
client secret.

AES-256-GCM with a key derived from the app's secret (CPD_SECRET_KEY), tagged with the
key's id: after a rotation (the old secret moved to CPD_OLD_SECRET_KEYS) what was sealed
before still opens. A copy of the database alone does not give the secrets away.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cpd.settings import Settings

_CONTEXT = b"cpd-sealed-secret-v1"


def _key(secret: str) -> tuple[str, bytes]:
    key = hashlib.sha256(_CONTEXT + b":" + secret.encode()).digest()
    return hashlib.sha256(key).hexdigest()[:8], key


def seal(settings: Settings, plain: str) -> str:
    key_id, key = _key(settings.secret)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(key).encrypt(nonce, plain.encode(), _CONTEXT)
    return f"{key_id}:{base64.urlsafe_b64encode(sealed).decode()}"


def unseal(settings: Settings, sealed: str) -> str:
    key_id, _, body = sealed.partition(":")
    for secret in settings.verifying_secrets:
        found_id, key = _key(secret)
        if found_id == key_id:
            raw = base64.urlsafe_b64decode(body)
            try:
                return AESGCM(key).decrypt(raw[:12], raw[12:], _CONTEXT).decode()
            except InvalidTag as exc:
                raise ValueError("the sealed secret is damaged") from exc
    raise ValueError("sealed with a secret key this deployment no longer has")
