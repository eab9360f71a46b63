"""Payloads encrypted before they reach Temporal: AES-256-GCM, keys by id, rotation-ready.

Workflow inputs, answers, timelines and activity results hold teachers' names,
addresses and words. Every payload leaves this process encrypted with the current
key, its id in the payload's metadata; any key still listed can decrypt, so a new
key is added first, made current, and the old one dropped only when no running
history needs it. A payload without our encoding (histories from before this
codec) passes through as it is, so old histories still decode and replay.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnknownKey(Exception):
    """A payload encrypted with a key this process was not given."""


def parse_keys(spec: str) -> dict[str, bytes]:
    """``id:base64key,id2:base64key2`` (the first is current) as ids to 32-byte keys."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id:
            raise ValueError("each payload key is written id:base64-key")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise ValueError(f"payload key {key_id!r} is not valid base64") from exc
        if len(key) != 32:
            raise ValueError(f"payload key {key_id!r} must be 32 bytes (AES-256)")
        keys[key_id] = key
    return keys


def derived_key(secret: str) -> tuple[str, bytes]:
    """A key made from the app's secret, for when no payload keys are configured."""
    key = hashlib.sha256(b"cpd-payload-key-v1:" + secret.encode()).digest()
    return "derived-" + hashlib.sha256(key).hexdigest()[:8], key


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError("the current payload key must be one of the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._current]
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._current.encode()},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption: passes through
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownKey(f"payload encrypted with key {key_id!r}, which is not configured")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        return Payload.FromString(cipher.decrypt(nonce, sealed, None))


def readable(document: Any, codec: EncryptionCodec) -> Any:
    """A history (or any JSON from ``temporal ... --output json``) with each payload opened:
    the operator's way to read what Temporal holds, with the keys of this deployment."""
    if isinstance(document, list):
        return [readable(item, codec) for item in document]
    if not isinstance(document, dict):
        return document
    metadata = document.get("metadata")
    if (
        isinstance(metadata, dict)
        and "encoding" in metadata
        and set(document) <= {"metadata", "data"}
    ):
        payload = Payload(
            metadata={k: base64.b64decode(v) for k, v in metadata.items()},
            data=base64.b64decode(document.get("data", "")),
        )
        opened = codec.open(payload)
        if opened.metadata.get("encoding") == b"json/plain":
            return json.loads(opened.data or b"null")
        encoding = opened.metadata.get("encoding", b"").decode()
        return {"encoding": encoding, "data": opened.data.hex()}
    return {key: readable(value, codec) for key, value in document.items()}
