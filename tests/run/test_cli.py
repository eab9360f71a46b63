"""The admin command line, run as an admin would: schools, keys, a roster import."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from cpd.names import fanout_workflow_id
from cpd.schema import head
from cpd.settings import PROJECT_ROOT
from tests.support.events import days_ago
from tests.support.rosters import SIMS


def cpd(tmp: Path, database: str, temporal: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CPD_ENVIRONMENT": "test",
        "CPD_DATA_DIR": str(tmp),
        "CPD_DATABASE_URL": database,
        "CPD_TEMPORAL_ADDRESS": temporal,
        "CPD_TASK_QUEUE": "cli-test-no-worker",  # started, not run: nothing is sent
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "run.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_schools_keys_and_a_roster_import(
    dev_env: WorkflowEnvironment, tmp_path: Path, database_url: str
) -> None:
    temporal = dev_env.client.service_client.config.target_host
    run = lambda *a: asyncio.to_thread(cpd, tmp_path, database_url, temporal, *a)  # noqa: E731
    # Nothing alters the schema but `cpd migrate`: before it, a command says what to do.
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    early = await asyncio.to_thread(cpd, tmp_path, empty, temporal, "create-school", "x", "X")
    assert early.returncode == 2 and "Run `cpd migrate`" in early.stderr
    migrated = await asyncio.to_thread(cpd, tmp_path, empty, temporal, "migrate")
    assert migrated.returncode == 0 and "database schema: new -> " in migrated.stdout
    at_head = f"{head()} -> {head()}"
    assert at_head in (await run("migrate")).stdout  # at head already: nothing to do
    assert (await run("create-school", "hillside", "Hillside Academy")).returncode == 0
    again = await run("create-school", "hillside", "Hillside Academy")
    assert again.returncode == 2 and "already exists" in again.stderr
    key = (await run("create-key", "hillside", "--label", "MIS")).stdout.strip()
    assert key.startswith("cpd_")
    prefix = key.split("_")[1]
    assert (await run("revoke-key", prefix)).returncode == 0
    assert (await run("revoke-key", prefix)).returncode == 2
    dpo = (await run("create-key", "hillside", "--label", "DPO", "--scope", "erase")).stdout
    keys = (await run("list-keys", "hillside")).stdout.splitlines()
    assert [line.split()[1:3] for line in keys] == [["trigger", "read"], ["erase", "active"]]
    assert keys[0].split()[0] == prefix and "revoked" in keys[0]
    assert keys[1].split()[0] == dpo.split("_")[1]

    lead = ("head@hillside.example", "--school", "hillside")
    assert (await run("add-leader", *lead, "--role", "leader")).returncode == 0
    role = await run("set-leader-role", "head@hillside.example", "cpd_lead", "--school", "hillside")
    assert role.returncode == 0 and "signed out" in role.stdout
    assert (await run("remove-leader", *lead)).returncode == 0
    assert "no such leader" in (await run("remove-leader", *lead)).stderr

    roster = tmp_path / "staff.csv"
    roster.write_text(SIMS, encoding="utf-8")
    args = [
        "import-roster",
        "hillside",
        str(roster),
        "--reference",
        "jan",
        "--title",
        "Retrieval",
        "--date",
        days_ago(-30),
    ]
    refused = await run(*args)
    assert refused.returncode == 2
    assert "row 6: error: email 'tom.jones@hillside'" in refused.stderr
    assert "nothing was imported" in refused.stderr

    roster.write_text(SIMS.replace("@hillside,", "@hillside.example,"), encoding="utf-8")
    done = await run(*args)
    assert done.returncode == 0, done.stderr
    assert "[##############################] 3/3" in done.stderr
    event_id = done.stdout.split("event ")[1].split()[0]
    # The fan-out is started (on a queue with no worker here, so nobody is emailed).
    fanout = dev_env.client.get_workflow_handle(fanout_workflow_id(event_id))
    assert (await fanout.describe()).status == WorkflowExecutionStatus.RUNNING
    repeat = await run(*args)
    assert repeat.returncode == 0 and "already imported" in repeat.stdout
    await fanout.terminate("test finished")


async def test_sign_in_providers_are_added_listed_and_removed(
    tmp_path: Path, database_url: str
) -> None:
    def run(*args: str, secret: str = "") -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "CPD_ENVIRONMENT": "test",
            "CPD_DATA_DIR": str(tmp_path),
            "CPD_DATABASE_URL": database_url,
        }
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "run.cli", *args],
            env=env,
            cwd=PROJECT_ROOT,
            input=secret,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def cli(*args: str, secret: str = "") -> Any:
        return asyncio.to_thread(run, *args, secret=secret)

    assert (await cli("migrate")).returncode == 0
    assert (await cli("create-school", "hillside", "Hillside Academy")).returncode == 0
    microsoft = ("microsoft", "--school", "hillside", "--client-id", "app-1")
    no_tenant = await cli("add-sign-in", *microsoft, "--domain", "hillside.sch.uk", secret="s3")
    assert no_tenant.returncode == 2 and "Entra tenant id" in no_tenant.stderr
    added = await cli(
        "add-sign-in",
        *microsoft,
        "--domain",
        "hillside.sch.uk",
        "--tenant",
        "TENANT-1",
        secret="the-secret-value\n",
    )
    assert added.returncode == 0, added.stderr
    assert "https://login.microsoftonline.com/TENANT-1/v2.0" in added.stdout
    assert "/dashboard/oidc/callback" in added.stdout
    listed = (await cli("list-sign-ins")).stdout
    assert "school hillside  microsoft" in listed and "domains hillside.sch.uk" in listed
    assert "tenants tenant-1" in listed and "the-secret-value" not in listed
    # Kept encrypted: the database holds no copy of the secret in clear.
    if database_url.startswith("sqlite"):
        db_file = Path(database_url.split("///", 1)[1])
        assert b"app-1" in db_file.read_bytes()  # the file does hold the provider
        assert b"the-secret-value" not in db_file.read_bytes()
    provider_id = listed.split()[0]
    assert (await cli("remove-sign-in", provider_id)).returncode == 0
    assert "no such sign-in" in (await cli("remove-sign-in", provider_id)).stderr
