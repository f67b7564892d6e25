"""A throwaway PostgreSQL server for the tests and bench/: initdb + pg_ctl in a temp directory.

Debian's ``postgresql`` package (scripts/setup-tools.sh installs it) puts the server under
/usr/lib/postgresql/<major>/bin; ``TRUSTPOLICY_PG_BINDIR`` overrides. The server listens
on a free 127.0.0.1 port only (no Unix socket), with password (SCRAM) authentication, so
the tests exercise the password path a city's server uses. PostgreSQL refuses to run as
root: as root the cluster belongs to the ``postgres`` user (or a ``trustpolicy-pg`` system
user created for it) and its commands run through ``runuser``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Self

import psycopg

APP_USER = "trustpolicy"
_SUPERUSER = "postgres"
# Stops the server and removes its directory once the process that started it is gone
# (pytest killed by a timeout runs no teardown): no cluster outlives its test run.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, tmp, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while os.getppid() == parent:
    time.sleep(1)
subprocess.run(stop, capture_output=True, check=False, timeout=120)
shutil.rmtree(tmp, ignore_errors=True)
"""


class PostgresNotFound(RuntimeError):
    """The server binaries are not installed."""


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl (newest major version first)."""
    override = os.environ.get("TRUSTPOLICY_PG_BINDIR")
    candidates = [Path(override)] if override else []
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    if found := shutil.which("initdb"):
        candidates.append(Path(found).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresNotFound(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql "
        "or on PATH: run scripts/setup-tools.sh (installs Debian's postgresql package)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_user() -> str | None:
    """The unprivileged user to run the server as when we are root (else None)."""
    if os.geteuid() != 0:
        return None
    for name in (_SUPERUSER, "trustpolicy-pg"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "trustpolicy-pg",
        ],
        check=True,
        capture_output=True,
    )
    return "trustpolicy-pg"


class PostgresServer:
    """One PostgreSQL cluster on a loopback port; stop() removes every file it made."""

    def __init__(self, *, durable: bool = False) -> None:
        self.bindir = find_bindir()
        self.durable = durable
        self.port = 0
        self.superuser_password = secrets.token_urlsafe(18)
        self.app_password = secrets.token_urlsafe(18)
        self._user = _run_user()
        self._tmp: Path | None = None
        self._names = itertools.count(1)
        self._options = ""
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "data"

    @property
    def log(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "server.log"

    def _cmd(self, *args: str | Path) -> list[str]:
        cmd = [str(a) for a in args]
        return ["runuser", "-u", self._user, "--", *cmd] if self._user else cmd

    def _pg(
        self, tool: str, *args: str | Path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGPASSWORD", None)
        return subprocess.run(
            self._cmd(self.bindir / tool, *args),
            check=check,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    def start(self) -> Self:
        """initdb into a temp directory, then start the server on a free loopback port."""
        self._tmp = Path(tempfile.mkdtemp(prefix="trustpolicy-pg-"))
        pwfile = self._tmp / "superuser.pw"
        pwfile.write_text(self.superuser_password + "\n")
        pwfile.chmod(0o600)
        if self._user:
            entry = pwd.getpwnam(self._user)
            for path in (self._tmp, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        try:
            self._pg(
                "initdb", "-D", self.data, "-U", _SUPERUSER, "--auth=scram-sha-256",
                f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale", "--no-sync",
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            self.stop()
            raise RuntimeError(f"initdb failed: {exc.stderr or exc.stdout}") from exc
        pwfile.unlink()
        options = (
            "-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._options = options
        for _attempt in range(5):
            self.port = _free_port()
            proc = self._start()
            if proc.returncode == 0:
                break
        else:
            text = self.log.read_text(errors="replace") if self.log.exists() else ""
            self.stop()
            raise RuntimeError(f"pg_ctl start failed: {proc.stderr}\n{text[-2000:]}")
        stop = self._cmd(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self._tmp), *stop],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a signal to our process group does not reach it
        )
        with self.admin() as conn:
            conn.execute(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{self.app_password}'")
        return self

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        """An autocommit superuser connection."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=_SUPERUSER,
            password=self.superuser_password,
            dbname=dbname,
            autocommit=True,
        )

    def url(self, dbname: str, user: str = APP_USER) -> str:
        """The store URL of ``dbname`` (no password: it goes in the environment or a file)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, prefix: str = "store") -> str:
        """Create an empty database owned by the app user; return its URL."""
        name = f"{prefix}_{next(self._names)}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"bad database name {name!r}")
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {APP_USER}")
        return self.url(name)

    def _start(self) -> subprocess.CompletedProcess[str]:
        # -l: the server's output goes to its log, not to our pipe (which would stay open).
        return self._pg(
            "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
            "-o", f"{self._options} -p {self.port}", "start", check=False,
        )  # fmt: skip

    def restart(self) -> None:
        """Stop the server (fast: every connection is cut) and start it on the same port."""
        self._pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")
        proc = self._start()
        if proc.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {proc.stderr}")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait(10)
            self._watchdog = None
        if self._tmp is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop", check=False)
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
