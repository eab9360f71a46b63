"""Databases with this release's schema for tests, made by the migrations themselves.

Migrating takes a moment, so it runs once per session into a template; each test gets
a copy (a file copy on SQLite).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cpd.db import create_engine
from cpd.schema import migrate

_template: Path | None = None


async def fresh_sqlite(path: Path) -> str:
    """A new SQLite database at ``path`` at this release's head: its URL."""
    global _template
    if _template is None:
        made = Path(tempfile.mkdtemp(prefix="cpd-schema-")) / "template.db"
        engine = create_engine(f"sqlite+aiosqlite:///{made}")
        await migrate(engine)
        await engine.dispose()
        _template = made
    shutil.copyfile(_template, path)
    return f"sqlite+aiosqlite:///{path}"
