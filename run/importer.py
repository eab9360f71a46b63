"""``cpd import-roster``: trigger a follow-through from an MIS roster CSV, from a terminal.

Checks every row first (nothing is created if any row is wrong), then records
the event with a progress bar and starts the fan-out, exactly as the API does.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

from cpd.db import create_engine, create_sessionmaker, unit_of_work
from cpd.models import School
from cpd.roster import parse_roster
from cpd.schema import require_current
from cpd.settings import get_settings
from cpd.temporal import connect
from services import rosters
from services.errors import Refused
from services.triggers import record_event, start_event


def progress_bar(done: int, total: int, width: int = 30) -> None:
    filled = int(width * done / total) if total else width
    end = "\n" if done >= total else ""
    print(
        f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


async def import_roster(
    school_id: str, data: bytes, reference: str, title: str, event_date: date, plan_id: str
) -> int:
    roster = parse_roster(data)
    for problem in roster.problems:
        print(f"error: {problem}", file=sys.stderr)
    for row in roster.rows:
        if row.status != "ok":
            print(f"row {row.row}: {row.status}: {'; '.join(row.errors)}", file=sys.stderr)
    if not roster.ok:
        print("nothing was imported: fix the rows above and run it again", file=sys.stderr)
        return 2
    settings = get_settings()
    engine = create_engine(settings.resolved_database_url)
    try:
        await require_current(engine)
        async with unit_of_work(create_sessionmaker(engine)) as db:
            school = await db.get(School, school_id)
            if school is None:
                print(f"error: no school {school_id!r}", file=sys.stderr)
                return 2
            try:
                body = rosters.event_from(roster, reference, title, event_date, plan_id)
            except Refused as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                return 2
            print(f"recording {len(body.participants)} teachers", file=sys.stderr)
            try:
                event, created = await record_event(
                    db, school, body, datetime.now(UTC), progress_bar
                )
            except Refused as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                return 2
        await start_event(await connect(settings), settings.task_queue, event.id)
    finally:
        await engine.dispose()
    verb = "started" if created else "already imported; made sure it started"
    print(f"{verb}: event {event.id} ({reference}), {len(roster.people)} teachers")
    return 0
