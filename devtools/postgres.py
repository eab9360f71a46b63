"""A throwaway PostgreSQL server in a folder of the project, for the tests (and dev tiers).

The binaries come from the machine: Debian's ``postgresql`` package (installed with
apt-get where we are root and it is missing), or whatever ``initdb`` is on PATH (a
laptop's Homebrew or Postgres.app). ``start_postgres`` makes a cluster once in the
folder it is given, starts it on a private loopback port with its unix socket in that
folder, and reuses the server an earlier run left running there.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
system user (which the package creates), else ``nobody``, and owns its folder.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEBIAN_BIN = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
PASSWORD_FILE = "cpd-password"  # noqa: S105 - a file name: in the cluster folder, owner only
# A throwaway server: what a crash could lose does not matter, the speed does.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def _say(message: str) -> None:
    print(f"[postgres] {message}", file=sys.stderr, flush=True)


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.name))


def _find_bin() -> Path | None:
    debian = sorted(DEBIAN_BIN.glob("*/bin/initdb"), key=lambda p: _version(p.parent.parent))
    if debian:
        return debian[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def postgres_bin() -> Path | None:
    """The folder with initdb, pg_ctl and psql, installing Debian's package if need be."""
    found = _find_bin()
    if found is not None or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    _say("installing Debian's postgresql package (once)")
    install = ["apt-get", "install", "-y", "-q", "postgresql"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet: dict[str, Any] = {"env": env, "stdout": subprocess.DEVNULL, "check": False}
    if subprocess.run(install, **quiet).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update", "-q"], **quiet)  # noqa: S607
        subprocess.run(install, **quiet)  # noqa: S603
    found = _find_bin()
    if found is None:
        _say("could not install postgresql")
    return found


@dataclass
class PostgresServer:
    """A running server: ``url(dbname)`` for the app, databases made and dropped by name."""

    bin: Path
    data_dir: Path
    port: int
    password: str
    started: bool  # by this process (False: it was already running)

    def url(self, dbname: str) -> str:
        """An SQLAlchemy URL (asyncpg) for one database on this server, over loopback."""
        return f"postgresql+asyncpg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, template: str | None = None) -> None:
        """A new database; ``template`` copies one (tables and all), which is quick."""
        copy = f" TEMPLATE {_ident(template)}" if template else ""
        self.sql(f"CREATE DATABASE {_ident(name)}{copy}")

    def databases(self) -> list[str]:
        """The names of its databases (the built-in templates left out)."""
        return self.sql("SELECT datname FROM pg_database WHERE NOT datistemplate").split()

    def drop_database(self, name: str) -> None:
        """Drops it if it exists, closing anything still connected."""
        self.sql(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)")

    def sql(self, statement: str) -> str:
        """One statement as the superuser, through the socket; its rows, unaligned."""
        command = [str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        command += ["-h", str(self.data_dir), "-p", str(self.port), "-U", SUPERUSER]
        command += ["-d", "postgres", "-c", statement]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {statement}: {done.stderr.strip()}")
        return done.stdout

    def stop(self) -> None:
        _as_owner(self.data_dir, [self.bin / "pg_ctl", "-D", self.data_dir, "-m", "fast", "stop"])


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def start_postgres(data_dir: Path, port: int | None = None) -> PostgresServer:
    """The server of the cluster in ``data_dir`` (made on first use), running.

    ``port`` None: a free loopback port, or the one it already runs on.
    """
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL not found: install it (apt-get install postgresql, brew install "
            "postgresql) so that initdb is under /usr/lib/postgresql/*/bin or on PATH"
        )
    data_dir = _reachable(data_dir.resolve())
    if not (data_dir / "PG_VERSION").exists():
        _initdb(bin_dir, data_dir)
    running = _running_port(bin_dir, data_dir)
    server = PostgresServer(bin_dir, data_dir, running or 0, "", started=False)
    if running is None or port not in (None, running):
        if running is not None:
            server.stop()
        server.port, server.started = port or _free_port(), True
        log = data_dir / "server.log"
        start = [bin_dir / "pg_ctl", "-D", data_dir, "-l", log, "-w", "-t", "60"]
        _as_owner(data_dir, [*start, "-o", f"-p {server.port}", "start"])
    server.password = _password(server)
    return server


def _initdb(bin_dir: Path, data_dir: Path) -> None:
    _say(f"creating a cluster in {data_dir}")
    initdb = [bin_dir / "initdb", "-D", data_dir, "-U", SUPERUSER, "-E", "UTF8", "--locale=C"]
    # Trust on the socket, which lives in this folder that only its owner can open; a
    # password on the loopback port, which any local user can reach.
    auth = ["--auth-local=trust", "--auth-host=scram-sha-256"]
    _as_owner(data_dir, [*initdb, *auth])
    conf = {**SETTINGS, "unix_socket_directories": str(data_dir)}
    with (data_dir / "postgresql.conf").open("a") as f:
        f.writelines(f"{key} = '{value}'\n" for key, value in conf.items())


def _password(server: PostgresServer) -> str:
    """The superuser's password for the loopback port, set on the first start."""
    file = server.data_dir / PASSWORD_FILE
    if file.exists():
        return file.read_text().strip()
    password = secrets.token_hex(16)
    server.sql(f"ALTER ROLE {SUPERUSER} PASSWORD '{password}'")
    file.write_text(password + "\n")
    file.chmod(0o600)
    _chown(file)
    return password


def _running_port(bin_dir: Path, data_dir: Path) -> int | None:
    status = _as_owner(data_dir, [bin_dir / "pg_ctl", "-D", data_dir, "status"], check=False)
    if status.returncode != 0:
        return None
    # postmaster.pid: pid, data folder, start time, port, ...
    return int((data_dir / "postmaster.pid").read_text().splitlines()[3])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# As root: the user the server runs as, and where it can reach.


def _owner() -> pwd.struct_passwd | None:
    """Who runs initdb and the server: None for ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root with neither a postgres nor a nobody user")


def _chown(path: Path) -> None:
    owner = _owner()
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _as_owner(
    data_dir: Path, command: list[Any], check: bool = True
) -> subprocess.CompletedProcess[str]:
    owner = _owner()
    as_user: dict[str, Any] = {}
    if owner is not None:
        as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    done = subprocess.run(  # noqa: S603
        [str(c) for c in command],
        cwd=data_dir,
        capture_output=True,
        text=True,
        check=False,
        **as_user,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")
    return done


def _reachable(data_dir: Path) -> Path:
    """``data_dir``, made and owned by the server's user; as root, a folder under the
    temp folder instead when that user cannot reach it (a checkout under /root)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    owner = _owner()
    if owner is None:
        data_dir.chmod(0o700)
        return data_dir
    _chown(data_dir)
    data_dir.chmod(0o700)
    probe = ["test", "-w", str(data_dir)]
    reached = subprocess.run(  # noqa: S603
        probe, user=owner.pw_uid, group=owner.pw_gid, extra_groups=[], check=False
    )
    if reached.returncode == 0:
        return data_dir
    tag = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    elsewhere = Path(tempfile.gettempdir()) / f"cpd-postgres-{tag}"
    _say(f"{owner.pw_name} cannot reach {data_dir}: using {elsewhere}")
    elsewhere.mkdir(exist_ok=True)
    _chown(elsewhere)
    elsewhere.chmod(0o700)
    return elsewhere


if __name__ == "__main__":
    print("postgres:", postgres_bin())
