"""Find or install the Temporal servers this project runs against.

Machines without internet access can still reach package registries, so:
- the dev server (``temporal`` CLI) comes from PATH, else a cached build in
  .cache/bin, else ``go install`` of a pinned tag through the Go module proxy;
- the time-skipping test server comes from Maven Central behind a wrapper
  script in .cache/test-server.
Where neither route works we return None and the SDK downloads its own
copy, which is what happens on an ordinary laptop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cpd.settings import PROJECT_ROOT

CACHE = PROJECT_ROOT / ".cache"
TEMPORAL_CLI_MODULE = "github.com/temporalio/cli/cmd/temporal@v1.5.1"  # later tags break go install
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


if __name__ == "__main__":
    print("dev server:", temporal_cli())
    print("test server:", time_skipping_server())
