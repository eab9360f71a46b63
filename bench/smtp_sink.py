"""An aiosmtpd server in its own process that counts what it receives.

Out of process on purpose: the worker under test runs in the benchmark's
process, and an in-process SMTP server (as tests/support/inbox.py is) would compete
with it for the GIL and parse 5,000 messages on the same interpreter. Here the
sink only counts messages and distinct recipients; a second delivery to the
same teacher would show as total > distinct.
"""

from __future__ import annotations

import multiprocessing as mp
import socket
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Counter:
    """aiosmtpd handler: accept everything, keep counts in shared memory."""

    def __init__(self, total: Synchronized[int], distinct: Synchronized[int]) -> None:
        self._total = total
        self._distinct = distinct
        self._seen: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self._seen.update(address.lower() for address in envelope.rcpt_tos)
        with self._total.get_lock():
            self._total.value += 1
        self._distinct.value = len(self._seen)
        return "250 Message accepted for delivery"


def _accept_any_login(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> Any:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True)


def _serve(
    port: int,
    total: Synchronized[int],
    distinct: Synchronized[int],
    ready: Event,
    stop: Event,
    tls: tuple[str, str] | None = None,
) -> None:
    import ssl

    from aiosmtpd.controller import Controller

    options: dict[str, Any] = {}
    if tls is not None:
        # Like a real relay: STARTTLS, then AUTH, before any mail is taken.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": _accept_any_login,
            "auth_required": True,
        }
    controller = Controller(_Counter(total, distinct), hostname="127.0.0.1", port=port, **options)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class SmtpSink:
    def __init__(self, tls: tuple[str, str] | None = None) -> None:
        """``tls``: (certificate, key) files to require STARTTLS and AUTH, as relays do."""
        # Spawn, not fork: the parent already runs Temporal's Rust threads.
        ctx = mp.get_context("spawn")
        self.port = _free_port()
        self._total: Synchronized[int] = ctx.Value("i", 0)
        self._distinct: Synchronized[int] = ctx.Value("i", 0)
        self._ready = ctx.Event()
        self._stop = ctx.Event()
        self._process = ctx.Process(
            target=_serve,
            args=(self.port, self._total, self._distinct, self._ready, self._stop, tls),
            daemon=True,
        )

    def start(self) -> SmtpSink:
        self._process.start()
        if not self._ready.wait(timeout=120):  # a busy machine spawns slowly
            raise RuntimeError("the SMTP sink did not start")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._process.join(timeout=10)

    @property
    def total(self) -> int:
        return int(self._total.value)

    @property
    def distinct(self) -> int:
        return int(self._distinct.value)
