"""``cpd``: the admin command line (schools, API keys) and the service entry points."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from cpd import school_year
from cpd.builtin_plans import BUILTIN_PLANS, DEFAULT_PLAN_ID
from cpd.calendar import SchoolCalendar
from cpd.codec import UnknownKey, readable
from cpd.db import Sessionmaker, create_engine, create_sessionmaker, unit_of_work
from cpd.models import API_KEY_SCOPES, DEFAULT_KEY_SCOPES, School
from cpd.schema import SchemaOutOfDate, current, migrate, require_current
from cpd.settings import get_settings
from cpd.temporal import payload_codec
from services import admin, providers
from services.errors import Refused
from services.schemas import CalendarImport

T = TypeVar("T")


async def _with_db(action: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    engine = create_engine(get_settings().resolved_database_url)
    try:
        await require_current(engine)
        return await action(create_sessionmaker(engine), *args)
    finally:
        await engine.dispose()


def _run(coro_fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    try:
        return asyncio.run(_with_db(coro_fn, *args))
    except (ValueError, SchemaOutOfDate) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _client_secret() -> str:
    """From standard input, not the command line (which other users and shell history
    see): ``printf %s "$SECRET" | cpd add-sign-in ...``, or typed at the prompt."""
    if sys.stdin.isatty():
        return getpass.getpass("client secret (not shown): ").strip()
    return sys.stdin.read().strip()


def _calendar(path: Path) -> SchoolCalendar:
    try:
        return SchoolCalendar.model_validate_json(path.read_text())
    except (OSError, ValidationError) as exc:
        print(f"error: calendar {path}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _decode() -> None:
    """With this deployment's keys (CPD_PAYLOAD_KEYS, or the one derived from CPD_SECRET_KEY)."""
    try:
        document = json.load(sys.stdin)
        opened = readable(document, payload_codec(get_settings()))
    except (ValueError, UnknownKey, InvalidTag) as exc:
        print(f"error: cannot decode: {exc or 'wrong key or damaged payload'}", file=sys.stderr)
        raise SystemExit(2) from exc
    json.dump(opened, sys.stdout, indent=1)
    print()


async def _import_calendar(
    sessionmaker: Sessionmaker, school_id: str, data: bytes, apply: bool
) -> CalendarImport:
    async with unit_of_work(sessionmaker) as db:
        school = await db.get(School, school_id)
        if school is None:
            raise ValueError(f"no school {school_id!r}")
        try:
            return await admin.import_calendar(db, school, data, apply)
        except Refused as exc:
            raise ValueError(exc.detail) from exc


async def _migrate() -> str:
    engine = create_engine(get_settings().resolved_database_url)
    try:
        before = await current(engine)
        await migrate(engine)
        return f"database schema: {before or 'new'} -> {await current(engine)}"
    finally:
        await engine.dispose()


def _serve(program: Coroutine[Any, Any, T]) -> T:
    """Run a process; a database not yet migrated is a one-line error, not a traceback."""
    try:
        return asyncio.run(program)
    except SchemaOutOfDate as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cpd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "migrate", help="upgrade the app database to this release's schema (run before starting)"
    )
    school = sub.add_parser("create-school", help="add a school")
    school.add_argument("school_id")
    school.add_argument("name")
    school.add_argument(
        "--calendar", type=Path, help="JSON file: timezone, working_days, send window, closures"
    )

    key = sub.add_parser("create-key", help="create an API key for a school (shown once)")
    key.add_argument("school_id")
    key.add_argument("--label", default="")
    key.add_argument(
        "--scope",
        action="append",
        choices=API_KEY_SCOPES,
        help="what it may do (repeatable): trigger, read, erase; default trigger and read",
    )

    keys = sub.add_parser("list-keys", help="a school's API keys: prefix, label, scopes")
    keys.add_argument("school_id")

    revoke = sub.add_parser("revoke-key", help="revoke an API key by its prefix")
    revoke.add_argument("prefix")

    leader = sub.add_parser("add-leader", help="let someone sign in to the dashboard")
    leader.add_argument("email")
    leader.add_argument("--role", choices=admin.ROLES, default="cpd_lead")
    leader.add_argument("--school")
    leader.add_argument("--trust")

    role = sub.add_parser("set-leader-role", help="change a school leader's role (signs them out)")
    role.add_argument("email")
    role.add_argument("role", choices=["cpd_lead", "leader"])
    role.add_argument("--school", required=True)

    remove = sub.add_parser("remove-leader", help="stop someone signing in (signs them out)")
    remove.add_argument("email")
    remove.add_argument("--school")
    remove.add_argument("--trust")

    provider = sub.add_parser(
        "add-sign-in",
        help="let a school's or trust's leaders sign in with its own Microsoft, Google or "
        "OpenID Connect accounts (the client secret is read from standard input)",
    )
    provider.add_argument("kind", choices=providers.KINDS)
    provider.add_argument("--school")
    provider.add_argument("--trust")
    provider.add_argument("--client-id", required=True, help="the app's id at the provider")
    provider.add_argument(
        "--domain", action="append", default=[], help="an email domain it signs in (repeatable)"
    )
    provider.add_argument("--tenant", default="", help="Microsoft: the Entra tenant id")
    provider.add_argument("--issuer", default="", help="oidc: the provider's issuer URL")
    provider.add_argument(
        "--others-as-leader",
        action="store_true",
        help="anyone from the domains signs in as a leader (aggregates, no names), not only "
        "people added with add-leader",
    )
    sub.add_parser("list-sign-ins", help="the schools' and trusts' sign-in providers")
    unprovide = sub.add_parser(
        "remove-sign-in", help="remove a sign-in provider by id (signs out who came through it)"
    )
    unprovide.add_argument("provider_id", type=int)

    trust = sub.add_parser("create-trust", help="group schools into a trust")
    trust.add_argument("trust_id")
    trust.add_argument("name")
    trust.add_argument("schools", nargs="*")

    roster = sub.add_parser("import-roster", help="trigger a follow-through from a roster CSV")
    roster.add_argument("school_id")
    roster.add_argument("csv", type=Path)
    roster.add_argument("--reference", required=True, help="your id for the event")
    roster.add_argument("--title", required=True)
    roster.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    roster.add_argument(
        "--plan",
        default=DEFAULT_PLAN_ID,
        help=f"{', '.join(sorted(BUILTIN_PLANS))}, or the school's own: school:<key>[@<version>]",
    )

    ics = sub.add_parser("import-calendar", help="term dates and closures from an .ics file")
    ics.add_argument("school_id")
    ics.add_argument("ics", type=Path)
    ics.add_argument("--apply", action="store_true", help="save it (without: a preview only)")

    sub.add_parser("dev", help="run the whole service locally with embedded defaults")
    worker = sub.add_parser("worker", help="run a Temporal worker")
    worker.add_argument(
        "--lane",
        action="append",
        choices=["main", "fanout"],
        help="only this lane (repeatable); default both: participants (main) and fan-out",
    )
    sub.add_parser("inbound", help="receive emailed replies (SMTP) for the reply domain")
    sub.add_parser(
        "decode",
        help="open the encrypted payloads of `temporal workflow show --output json` (stdin)",
    )

    args = parser.parse_args(argv)
    if args.command == "migrate":
        print(asyncio.run(_migrate()))
    elif args.command == "create-school":
        calendar = _calendar(args.calendar) if args.calendar else None
        _run(admin.create_school, args.school_id, args.name, calendar)
        print(f"created school {args.school_id}")
        for warning in school_year.warnings(calendar or SchoolCalendar(), date.today()):
            print(f"note: {warning}", file=sys.stderr)
    elif args.command == "create-key":
        scopes = args.scope or DEFAULT_KEY_SCOPES
        print(_run(admin.create_key, args.school_id, args.label, scopes))
    elif args.command == "list-keys":
        for row in _run(admin.list_keys, args.school_id):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            print(f"{row.prefix}  {row.scopes:<20}  {state:<18}  {row.label}")
    elif args.command == "revoke-key":
        if not _run(admin.revoke_key, args.prefix):
            print("error: no active key with that prefix", file=sys.stderr)
            raise SystemExit(2)
        print(f"revoked {args.prefix}")
    elif args.command == "add-leader":
        _run(admin.add_leader, args.email, args.role, args.school, args.trust)
        print(f"{args.email} can now sign in to the dashboard as {args.role}")
    elif args.command in ("set-leader-role", "remove-leader"):
        if args.command == "set-leader-role":
            done = _run(admin.set_leader_role, args.email, args.role, args.school)
        else:
            done = _run(admin.remove_leader, args.email, args.school, args.trust)
        if not done:
            print("error: no such leader", file=sys.stderr)
            raise SystemExit(2)
        print(f"done: {args.email} is signed out of the dashboard")
    elif args.command == "add-sign-in":
        secret = _client_secret()
        added = _run(
            providers.add_provider,
            get_settings(),
            args.kind,
            args.client_id,
            secret,
            args.domain,
            args.school,
            args.trust,
            args.issuer,
            args.tenant,
            "leader" if args.others_as_leader else "",
        )
        print(f"sign-in {added.id} added: {added.issuer}")
        base = get_settings().public_base_url.rstrip("/")
        print(f"  register this redirect URI with the provider: {base}/dashboard/oidc/callback")
    elif args.command == "list-sign-ins":
        for row in _run(providers.list_providers):
            owner = f"school {row.school_id}" if row.school_id else f"trust {row.trust_id}"
            others = "  others as leader" if row.others_as else ""
            tenants = f"  tenants {row.tenant_ids}" if row.tenant_ids else ""
            print(
                f"{row.id}  {owner}  {row.kind}  {row.issuer}  client {row.client_id}  "
                f"domains {row.email_domains}{tenants}{others}"
            )
    elif args.command == "remove-sign-in":
        if not _run(providers.remove_provider, args.provider_id):
            print("error: no such sign-in", file=sys.stderr)
            raise SystemExit(2)
        print(f"removed sign-in {args.provider_id}: nobody signs in through it now")
    elif args.command == "create-trust":
        _run(admin.create_trust, args.trust_id, args.name, args.schools)
        print(f"created trust {args.trust_id}")
    elif args.command == "import-roster":
        from run.importer import import_roster

        code = _serve(
            import_roster(
                args.school_id,
                args.csv.read_bytes(),
                args.reference,
                args.title,
                args.date,
                args.plan,
            )
        )
        raise SystemExit(code)
    elif args.command == "import-calendar":
        result = _run(_import_calendar, args.school_id, args.ics.read_bytes(), args.apply)
        for term in result.terms:
            print(f"term     {term.start} to {term.end}  {term.name}")
        for closure in result.closures:
            print(f"closed   {closure.start} to {closure.end}  {closure.name}")
        for left_out in result.not_understood:
            print(f"left out {left_out}")
        print("saved" if result.applied else "preview only: run again with --apply to save it")
    elif args.command == "dev":
        from run.devstack import run

        run()
    elif args.command == "worker":
        from run.worker import LANES
        from run.worker import main as worker_main

        _serve(worker_main(tuple(args.lane) if args.lane else LANES))
    elif args.command == "inbound":
        from run.inbound import main as inbound_main

        _serve(inbound_main())
    elif args.command == "decode":
        _decode()


if __name__ == "__main__":
    main()
