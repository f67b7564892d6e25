"""Shared fixtures: the pinned tools and a PostgreSQL server. A missing one fails, never skips."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from pg_server import PostgresNotFound, PostgresServer
from trustpolicy import ToolNotFound, find_tool
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
WORKED_EXAMPLES = ROOT / "tests" / "data" / "worked-examples.json"


@pytest.fixture(scope="session")
def opa_bin() -> Path:
    try:
        return find_tool("opa")
    except ToolNotFound as exc:  # pragma: no cover - the failure is the point
        pytest.fail(f"opa is required for these tests: {exc}")


@pytest.fixture(scope="session")
def regal_bin() -> Path:
    try:
        return find_tool("regal")
    except ToolNotFound as exc:  # pragma: no cover
        pytest.fail(f"regal is required for these tests: {exc}")


@pytest.fixture(scope="session")
def policies() -> Path:
    return ROOT / "policies"


# The store's backends: every store test runs against SQLite and a real PostgreSQL server.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own for the session (initdb + pg_ctl, loopback port)."""
    try:
        server = PostgresServer().start()
    except (PostgresNotFound, RuntimeError, OSError) as exc:  # pragma: no cover
        pytest.fail(f"PostgreSQL is required for the store tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


def new_store_url(backend: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated, empty store of ``backend``: a SQLite file under ``tmp`` or a database."""
    if backend == "sqlite":
        return str(tmp / "decisions.sqlite")
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.new_database()
    with DecisionStore(url, password=server.app_password, migrate=True):
        pass
    return url


@pytest.fixture(params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh store of each backend; for PostgreSQL the password is in the environment."""
    url = new_store_url(request.param, tmp_path, request)
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        monkeypatch.setenv("TRUSTPOLICY_DB_PASSWORD", server.app_password)
    return url


@contextlib.contextmanager
def store_env(request: pytest.FixtureRequest) -> Iterator[None]:
    """For a test parametrized by backend: the PostgreSQL password in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        if getattr(request, "param", None) == "postgresql":
            server: PostgresServer = request.getfixturevalue("postgres")
            patch.setenv("TRUSTPOLICY_DB_PASSWORD", server.app_password)
        yield


def store_query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the store's database directly (not through the store)."""
    if "://" not in url:
        con = sqlite3.connect(url)
        try:
            rows = con.execute(sql).fetchall()
            con.commit()
            return rows
        finally:
            con.close()
    with psycopg.connect(url, password=os.environ["TRUSTPOLICY_DB_PASSWORD"]) as conn:
        cur = conn.execute(sql.encode())
        return cur.fetchall() if cur.description else []


def store_raw_text(url: str, tables: tuple[str, ...]) -> str:
    """Every stored byte of ``tables`` as text: the SQLite files, or each PostgreSQL row."""
    if "://" not in url:
        db = Path(url)
        rows = [row for t in tables for row in store_query(url, f"SELECT * FROM {t}")]
        files = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
        return json.dumps(rows) + files.decode("latin-1")
    return "\n".join(r[0] for t in tables for r in store_query(url, f"SELECT t::text FROM {t} t"))


#: The detainer register's key in tests (the collector refuses to start without one).
TEST_REGISTER_KEY = "5e" * 32


@pytest.fixture(autouse=True)
def register_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with a register key in the environment, as a deployed collector does.

    A test of the refusal to start without a key removes it.
    """
    monkeypatch.delenv("TRUSTPOLICY_REGISTER_KEY_FILE", raising=False)
    monkeypatch.setenv("TRUSTPOLICY_REGISTER_KEY", TEST_REGISTER_KEY)
    return TEST_REGISTER_KEY
