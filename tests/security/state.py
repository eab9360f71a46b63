"""Everything the app database holds, read back as plain rows: to show nothing changed."""

from __future__ import annotations

from sqlmodel import SQLModel, select

from tests.support.stack import Stack

# Rows a request may write without changing anything a school holds: signing in.
SIGN_IN_TABLES = frozenset({"dashboardsession", "usedsigninlink"})


async def snapshot(s: Stack, ignore: frozenset[str] = SIGN_IN_TABLES) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    async with s.db() as db:
        for name, table in SQLModel.metadata.tables.items():
            if name in ignore:
                continue
            rows = (await db.exec(select(table))).all()  # type: ignore[call-overload]
            held[name] = sorted(repr(row) for row in rows)
    return held


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, list[str]]:
    """The tables whose rows differ, with the rows added or gone: empty when nothing did."""
    return {
        name: sorted(set(before[name]) ^ set(after.get(name, [])))
        for name in before
        if before[name] != after.get(name)
    }
