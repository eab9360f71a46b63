"""The development mail server and the store behind the dev mailbox page.

aiosmtpd keeps every message it receives in a Maildir, so it survives a
restart and the API process can list it without talking to the SMTP process.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox as MaildirHandler

_LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class StoredMessage:
    key: str
    subject: str
    to: str
    date: str
    text: str
    html: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def start_smtp_server(maildir: Path, host: str, port: int) -> Controller:
    """Start a real SMTP server on a thread; stop it with ``.stop()``."""
    ensure_maildir(maildir)
    controller = Controller(MaildirHandler(maildir), hostname=host, port=port)
    controller.start()
    return controller


def ensure_maildir(path: Path) -> None:
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(parents=True, exist_ok=True)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def body_of(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


def links_in(text: str) -> list[str]:
    return list(dict.fromkeys(m.rstrip(".,)") for m in _LINK.findall(text)))


def to_stored(key: str, msg: EmailMessage) -> StoredMessage:
    text = body_of(msg, "plain")
    return StoredMessage(
        key=key,
        subject=str(msg.get("Subject", "")),
        to=str(msg.get("To", "")),
        date=str(msg.get("Date", "")),
        text=text,
        html=body_of(msg, "html"),
        headers=[(k, str(v)) for k, v in msg.items()],
        links=links_in(text),
    )


class MaildirStore:
    def __init__(self, path: Path) -> None:
        self._path = path

    def _box(self) -> mailbox.Maildir:
        ensure_maildir(self._path)
        return mailbox.Maildir(str(self._path), factory=None, create=True)

    def list(self, limit: int = 200) -> list[StoredMessage]:
        box = self._box()
        items = []
        for key in box.iterkeys():
            with box.get_file(key) as fh:
                items.append((fh.read(), key))
        # Maildir keys start with the delivery time: newest first.
        items.sort(key=lambda item: item[1], reverse=True)
        return [to_stored(key, parse(raw)) for raw, key in items[:limit]]

    def get(self, key: str) -> StoredMessage | None:
        box = self._box()
        if key not in box:
            return None
        with box.get_file(key) as fh:
            return to_stored(key, parse(fh.read()))
