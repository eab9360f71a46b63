"""Find or install the Temporal servers this project runs against.

Machines without internet access can still reach package registries, so:
- the dev server (``temporal`` CLI) comes from PATH, else a cached build in
  .cache/bin, else ``go install`` of a pinned tag through the Go module proxy;
- the time-skipping test server comes from Maven Central behind a wrapper
  script in .cache/test-server;
- the production server (``temporal-server``) and its schema tool
  (``temporal-sql-tool``) are ``go install``ed from Temporal's server module into
  .cache/bin, and the PostgreSQL schemas are read from that module in Go's cache.
Where neither route works for the first two we return None and the SDK downloads its
own copy, which is what happens on an ordinary laptop; the production server has no
such fallback (devtools/temporal_server.py runs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cpd.settings import PROJECT_ROOT

CACHE = PROJECT_ROOT / ".cache"
TEMPORAL_CLI_MODULE = "github.com/temporalio/cli/cmd/temporal@v1.5.1"  # later tags break go install
TEMPORAL_SERVER_MODULE = "go.temporal.io/server"
TEMPORAL_SERVER_VERSION = "v1.29.1"
# Each program of the server module, and the name it is cached under.
TEMPORAL_SERVER_PROGRAMS = {"cmd/server": "temporal-server", "cmd/tools/sql": "temporal-sql-tool"}
TEST_SERVER_POM = PROJECT_ROOT / "tools" / "test-server" / "pom.xml"


def _say(message: str) -> None:
    print(f"[servers] {message}", file=sys.stderr, flush=True)


def temporal_cli() -> Path | None:
    """The ``temporal`` CLI, building and caching it if needed; None means use the SDK download."""
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path)
    cached = CACHE / "bin" / "temporal"
    if cached.exists():
        return cached
    go = shutil.which("go")
    if go is None:
        _say("no temporal CLI and no Go: the SDK will download the dev server")
        return None
    _say(f"building the Temporal dev server with go install {TEMPORAL_CLI_MODULE}")
    _say("this takes a few minutes once; the binary is cached in .cache/bin")
    env = {**os.environ, "GOBIN": str(cached.parent), "CGO_ENABLED": "0"}
    cached.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([go, "install", TEMPORAL_CLI_MODULE], env=env, check=False)  # noqa: S603
    if result.returncode != 0 or not cached.exists():
        _say("go install failed: falling back to the SDK download")
        return None
    return cached


def time_skipping_server() -> Path | None:
    """A wrapper script that starts Temporal's Java test server; None means use the SDK download."""
    home = CACHE / "test-server"
    wrapper = home / "temporal-test-server"
    lib = home / "lib"
    if wrapper.exists() and any(lib.glob("temporal-test-server-*.jar")):
        return wrapper
    java, mvn = shutil.which("java"), shutil.which("mvn")
    if java is None or mvn is None:
        _say("no Java/Maven: the SDK will download the time-skipping test server")
        return None
    _say("fetching io.temporal:temporal-test-server from Maven Central (into .cache/test-server)")
    result = subprocess.run(  # noqa: S603
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(TEST_SERVER_POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={lib}",
            "-DincludeScope=runtime",
        ],
        check=False,
    )
    if result.returncode != 0:
        _say("maven failed: falling back to the SDK download")
        return None
    # The SDK runs "<wrapper> <port>"; the Java server takes the port the same way.
    wrapper.write_text(
        "#!/bin/sh\n"
        f'exec "{java}" -Xss1m -XX:+UseSerialGC -cp "{lib}/*" '
        'io.temporal.testserver.TestServer "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


@dataclass(frozen=True)
class ProductionTemporal:
    """Temporal's own server, its SQL schema tool, and the PostgreSQL schemas they go with."""

    server: Path
    sql_tool: Path
    schema: Path  # schema/postgresql/v12 in the server module: temporal/ and visibility/


def _cached_at_version(path: Path) -> bool:
    """Built from the pinned tag: both programs print it with --version (in milliseconds)."""
    if not path.exists():
        return False
    shown = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return TEMPORAL_SERVER_VERSION.removeprefix("v") in shown.stdout


def _build_server_programs(go: str) -> bool:
    """``go install`` both programs in one build (they share most of their packages)."""
    staging = CACHE / "go-install"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    packages = [
        f"{TEMPORAL_SERVER_MODULE}/{program}@{TEMPORAL_SERVER_VERSION}"
        for program in TEMPORAL_SERVER_PROGRAMS
    ]
    _say(f"building the Temporal server and SQL tool with go install ({TEMPORAL_SERVER_VERSION})")
    _say("this takes a few minutes once; the binaries are cached in .cache/bin")
    env = {**os.environ, "GOBIN": str(staging), "CGO_ENABLED": "0"}
    result = subprocess.run([go, "install", *packages], env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        return False
    for program, name in TEMPORAL_SERVER_PROGRAMS.items():
        built = staging / Path(program).name  # go install names a binary after its folder
        if not built.exists():
            return False
        built.replace(CACHE / "bin" / name)
    shutil.rmtree(staging, ignore_errors=True)
    return True


def _server_module_dir(go: str) -> Path | None:
    """Where the server module sits in Go's module cache (downloaded if need be)."""
    result = subprocess.run(  # noqa: S603
        [go, "mod", "download", "-json", f"{TEMPORAL_SERVER_MODULE}@{TEMPORAL_SERVER_VERSION}"],
        capture_output=True,
        text=True,
        cwd=CACHE,  # outside any Go module, so the pinned version is what it fetches
        check=False,
    )
    if result.returncode != 0:
        _say(f"go mod download failed: {result.stderr.strip() or result.stdout.strip()}")
        return None
    folder = json.loads(result.stdout).get("Dir")
    return Path(folder) if folder else None


def production_temporal() -> ProductionTemporal | None:
    """The production server, building and caching it if needed; None: no Go, or a failed build."""
    go = shutil.which("go")
    binaries = [CACHE / "bin" / name for name in TEMPORAL_SERVER_PROGRAMS.values()]
    if not all(_cached_at_version(path) for path in binaries):
        if go is None:
            _say("no Go: cannot build the Temporal server")
            return None
        (CACHE / "bin").mkdir(parents=True, exist_ok=True)
        if not _build_server_programs(go):
            _say("go install of the Temporal server failed")
            return None
    if go is None:
        return None
    module = _server_module_dir(go)
    schema = module / "schema" / "postgresql" / "v12" if module else None
    if schema is None or not schema.is_dir():
        _say("the server module's PostgreSQL schemas were not found")
        return None
    server, sql_tool = binaries
    return ProductionTemporal(server, sql_tool, schema)


if __name__ == "__main__":
    print("dev server:", temporal_cli())
    print("test server:", time_skipping_server())
    print("production server:", production_temporal())
