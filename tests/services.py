"""Real Redis and PostgreSQL servers for tests: private, on a free loopback port, stopped after.

Both come from Debian's packages (``scripts/install-system.sh``). Each server keeps its files
in a directory of the test's and is stopped by its pidfile, so nothing outlives the session.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from process_helpers import free_port, tail

START_TIMEOUT_S = 30.0


@dataclass
class RedisServer:
    port: int
    pidfile: Path
    logfile: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        _kill_by_pidfile(self.pidfile)


def redis_binary() -> str | None:
    return shutil.which("redis-server")


@contextlib.contextmanager
def redis_server(base: Path) -> Iterator[RedisServer]:
    """``redis-server --daemonize yes`` on 127.0.0.1:<free>, no persistence; stopped after."""
    binary = redis_binary()
    if binary is None:
        raise RuntimeError("redis-server is not installed (run scripts/install-system.sh)")
    base.mkdir(parents=True, exist_ok=True)
    server = start_redis(base, binary)
    try:
        yield server
    finally:
        server.stop()


def start_redis(base: Path, binary: str | None = None, port: int | None = None) -> RedisServer:
    """Start a Redis daemon (``port``: a given one, e.g. to restart on the same port)."""
    port = port or free_port()
    server = RedisServer(port, base / f"redis-{port}.pid", base / f"redis-{port}.log")
    subprocess.run(
        [
            binary or redis_binary() or "redis-server",
            "--daemonize", "yes",
            "--pidfile", str(server.pidfile),
            "--logfile", str(server.logfile),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(base),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(port):
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"redis-server did not start:\n{tail(server.logfile)}")
        time.sleep(0.05)
    return server


def _answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@dataclass
class PostgresServer:
    port: int
    datadir: Path
    pg_ctl: str
    user: str | None  # the OS user the cluster runs as (``postgres`` when the tests run as root)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://deepfix@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run_as(self.user, [self.pg_ctl, "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
        _kill_by_pidfile(self.datadir / "postmaster.pid")


def postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@contextlib.contextmanager
def postgres_server(base: Path) -> Iterator[PostgresServer]:
    """A throwaway cluster (``initdb -A trust``) on 127.0.0.1:<free>; stopped after."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (run scripts/install-system.sh)")
    user = "postgres" if os.geteuid() == 0 else None
    base.mkdir(parents=True, exist_ok=True)
    datadir = base / "pgdata"
    if user is not None:  # initdb refuses to run as root
        entry = pwd.getpwnam(user)
        for path in base.parents:  # let the cluster's user reach its directory
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o001 == 0:
                path.chmod(mode | 0o011)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    port = free_port()
    server = PostgresServer(port, datadir, str(bindir / "pg_ctl"), user)
    logfile = base / "postgres.log"
    _run_as(user, [str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "deepfix"])
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off"
    try:
        _run_as(
            user,
            [server.pg_ctl, "-D", str(datadir), "-o", options, "-l", str(logfile), "-w", "start"],
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"PostgreSQL did not start:\n{tail(logfile)}") from exc
    try:
        yield server
    finally:
        server.stop()


def _run_as(user: str | None, command: list[str]) -> None:
    prefix = ["runuser", "-u", user, "--"] if user else []
    subprocess.run(
        [*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _kill_by_pidfile(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
