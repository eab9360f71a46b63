"""A plan whose one step asks for evidence, who gets it, and where its files end up."""

from __future__ import annotations

from pathlib import Path

from tests.support.inbox import links_of
from tests.support.stack import Stack

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
EVIDENCE_PLAN = {
    "id": "evidence-now",
    "name": "Evidence",
    "steps": [{"id": "evidence", "kind": "evidence", "offset_days": 0}],
}
PEOPLE = [
    {"name": "Ada Lovelace", "email": "ada@hillside.example"},
    {"name": "Alan Turing", "email": "alan@hillside.example"},
]


async def links_for(s: Stack, who: str) -> tuple[str, str]:
    """(answer link, portfolio link) from the email that reached ``who``."""
    [mail] = await s.smtp.inbox.wait_for(1, who)
    links = links_of(mail)
    return next(x for x in links if "/a/" in x), next(x for x in links if "/p/" in x)


def stored_files(s: Stack) -> list[Path]:
    root = s.settings.resolved_evidence_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
