"""Temporal's production server on PostgreSQL, run on loopback for the production tier.

Not the dev server: ``temporal-server start`` (built by devtools/servers.py) with its
four services in one process, persistence in PostgreSQL (``temporal``) and SQL
visibility (``temporal_visibility``), the schemas applied from the server module with
``temporal-sql-tool``, as Temporal's own development-postgres12.yaml and docker set-up
do. The ``default`` namespace and our search attributes are registered through the
frontend, as ``temporal operator namespace create`` and ``temporal operator
search-attribute create`` would. ``stop`` and ``start`` again keep everything: the
state is in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    CountWorkflowExecutionsRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from cpd.names import SEARCH_ATTRIBUTES
from devtools.servers import ProductionTemporal

PLUGIN = "postgres12"
DATABASES = {"temporal": "temporal", "temporal_visibility": "visibility"}  # db: schema folder
SERVICES = ("frontend", "history", "matching", "worker")
NAMESPACE = "default"
START_SECONDS = 120
RETENTION = Duration(seconds=86_400)


def _free_port() -> int:
    """A free loopback port below 32768: the server records its membership ports in a
    PostgreSQL smallint, and the kernel's own picks are above that range."""
    while True:
        port = random.randrange(10_000, 32_768)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@dataclass(frozen=True)
class Login:
    """How the server reaches PostgreSQL: a superuser, who creates its two databases."""

    host: str
    port: int
    user: str
    password: str = ""

    @classmethod
    def of_url(cls, url: str) -> Login:
        """From an SQLAlchemy URL of any database on that server (PostgresServer.url)."""
        parsed = make_url(url)
        return cls(
            parsed.host or "127.0.0.1",
            parsed.port or 5432,
            parsed.username or "",
            parsed.password or "",
        )


def _store(database: str, login: Login, max_conns: int) -> dict[str, object]:
    return {
        "sql": {
            "pluginName": PLUGIN,
            "databaseName": database,
            "connectAddr": f"{login.host}:{login.port}",
            "connectProtocol": "tcp",
            "user": login.user,
            "password": login.password,
            "maxConns": max_conns,
            "maxIdleConns": max_conns,
            "maxConnLifetime": "1h",
        }
    }


def server_config(login: Login, ports: dict[str, int], dynamic_config: Path) -> dict[str, object]:
    """The server's YAML, after config/development-postgres12.yaml in the server module:
    every port private to this run, no metrics, no archival."""
    frontend = f"127.0.0.1:{ports['frontend']}"
    return {
        "log": {"stdout": True, "level": "warn"},
        "persistence": {
            "defaultStore": "postgres-default",
            "visibilityStore": "postgres-visibility",
            # Few shards: one small machine, and each shard costs a little all the time.
            "numHistoryShards": 4,
            "datastores": {
                # Per service (four of them), against the throwaway server's 200 connections.
                "postgres-default": _store("temporal", login, 10),
                "postgres-visibility": _store("temporal_visibility", login, 4),
            },
        },
        "global": {
            "membership": {"maxJoinDuration": "30s", "broadcastAddress": "127.0.0.1"},
        },
        "services": {
            name: {
                "rpc": {
                    "grpcPort": ports[name],
                    "membershipPort": ports[f"{name}-membership"],
                    "bindOnLocalHost": True,
                    **({"httpPort": ports["frontend-http"]} if name == "frontend" else {}),
                }
            }
            for name in SERVICES
        },
        "clusterMetadata": {
            "enableGlobalNamespace": False,
            "failoverVersionIncrement": 10,
            "masterClusterName": "active",
            "currentClusterName": "active",
            "clusterInformation": {
                "active": {
                    "enabled": True,
                    "initialFailoverVersion": 1,
                    "rpcName": "frontend",
                    "rpcAddress": frontend,
                }
            },
        },
        "dcRedirectionPolicy": {"policy": "noop"},
        "archival": {"history": {"state": "disabled"}, "visibility": {"state": "disabled"}},
        "namespaceDefaults": {
            "archival": {"history": {"state": "disabled"}, "visibility": {"state": "disabled"}}
        },
        "dynamicConfigClient": {"filepath": str(dynamic_config), "pollInterval": "10s"},
    }


# As the dev server does: a search attribute added a moment ago is known at once.
DYNAMIC_CONFIG = {
    "system.forceSearchAttributesCacheRefreshOnRead": [{"value": True, "constraints": {}}],
}


class TemporalServer:
    """One ``temporal-server`` process over a PostgreSQL server; ``address`` for clients."""

    def __init__(self, programs: ProductionTemporal, home: Path, login: Login) -> None:
        self.programs = programs
        self.home = home
        self.login = login
        names = [*SERVICES, *(f"{s}-membership" for s in SERVICES), "frontend-http"]
        # Chosen once: a restarted server must answer where its clients were told to call.
        self.ports = {name: _free_port() for name in names}
        self.address = f"127.0.0.1:{self.ports['frontend']}"
        self.log = home / "temporal-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def _sql_tool(self, database: str, *command: str) -> None:
        db = self.login
        result = subprocess.run(  # noqa: S603
            [
                str(self.programs.sql_tool),
                *("--endpoint", db.host, "--port", str(db.port)),
                *("--user", db.user, "--password", db.password),
                *("--plugin", PLUGIN, "--database", database, *command),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"temporal-sql-tool {' '.join(command)} on {database} failed:\n"
                f"{result.stdout}{result.stderr}"
            )

    def set_up(self) -> None:
        """Create both databases and bring their schemas to the module's latest version."""
        self.home.mkdir(parents=True, exist_ok=True)
        for database, folder in DATABASES.items():
            self._sql_tool(database, "create-database")
            self._sql_tool(database, "setup-schema", "--version", "0.0")
            versioned = self.programs.schema / folder / "versioned"
            self._sql_tool(database, "update-schema", "--schema-dir", str(versioned))
        config_dir = self.home / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        dynamic = config_dir / "dynamicconfig.yaml"
        dynamic.write_text(json.dumps(DYNAMIC_CONFIG, indent=1))  # JSON is YAML
        config = server_config(self.login, self.ports, dynamic)
        (config_dir / "production.yaml").write_text(json.dumps(config, indent=1))

    async def start(self) -> None:
        """Start the process and wait until the frontend serves the namespace."""
        self._launch()
        async with asyncio.timeout(START_SECONDS):
            await self._until_serving()

    def _launch(self) -> None:
        assert self._process is None or self._process.poll() is not None, "already running"
        self._process = subprocess.Popen(  # noqa: S603
            [
                str(self.programs.server),
                *("--root", str(self.home), "--config", "config", "--env", "production"),
                "--allow-no-auth",
                "start",
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    async def _until_serving(self) -> None:
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"temporal-server exited; see {self.log}")
            try:
                client = await Client.connect(self.address, namespace=NAMESPACE)
                await client.workflow_service.count_workflow_executions(
                    CountWorkflowExecutionsRequest(namespace=NAMESPACE),
                    timeout=timedelta(seconds=5),
                )
                return
            except RPCError as exc:
                if exc.status is RPCStatusCode.NOT_FOUND:  # serving, but no namespace yet
                    await self._register(client)
                    continue
            except RuntimeError:  # not listening yet
                pass
            await asyncio.sleep(0.5)

    async def _register(self, client: Client) -> None:
        """The ``default`` namespace and our search attributes, once per database."""
        try:
            await client.workflow_service.register_namespace(
                RegisterNamespaceRequest(
                    namespace=NAMESPACE, workflow_execution_retention_period=RETENTION
                )
            )
        except RPCError as exc:
            if exc.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
        wanted = {k.name for k in SEARCH_ATTRIBUTES}
        while True:
            try:
                listed = await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace=NAMESPACE)
                )
            except RPCError as exc:  # the frontend's namespace cache refreshes every 2 s
                if exc.status is not RPCStatusCode.NOT_FOUND:
                    raise
                await asyncio.sleep(0.5)
                continue
            missing = wanted - set(listed.custom_attributes)
            if not missing:
                return
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=NAMESPACE,
                    search_attributes={
                        name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in missing
                    },
                )
            )

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (a graceful stop, the way an orchestrator restarts it) or SIGKILL."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    async def restart(self, kill: bool = False) -> None:
        self.stop(kill)
        await self.start()


@asynccontextmanager
async def temporal_server(
    programs: ProductionTemporal, home: Path, login: Login
) -> AsyncIterator[TemporalServer]:
    """A set-up, started server over that PostgreSQL, stopped on the way out."""
    server = TemporalServer(programs, home, login)
    server.set_up()
    try:
        await server.start()
        yield server
    finally:
        server.stop()
