"""The store's two backends: URLs, versioned migrations, passwords, idempotence across processes.

SQLite is a file; PostgreSQL is a real server started for the session (tests/pg_server.py).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from conftest import ROOT, store_query
from trustpolicy import (
    CollectorError,
    ConfigError,
    DecisionStore,
    SchemaStatus,
)
from trustpolicy.record._backend import parse_store_url
from trustpolicy.record._collector import Collector
from trustpolicy.record._postgres import MIGRATIONS as PG_MIGRATIONS
from trustpolicy.record._sqlite import MIGRATIONS as SQLITE_MIGRATIONS

if TYPE_CHECKING:
    from pg_server import PostgresServer

TOKEN = "agent-store-" + "s" * 24
LATEST = SQLITE_MIGRATIONS[-1].version


def trustpolicy(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real entry point; the environment has no password unless ``env`` gives one."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTPOLICY_DB", "PG"))}
    return subprocess.run(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, **(env or {})},
        timeout=120,
        check=False,
    )


def event(decision_id: str, stamp: str = "2026-05-04T13:14:15.123456789Z") -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "path": "trustpolicy/decision",
        "input": {"action": "detain"},
        "result": {"outcome": "deny", "violations": [{"rule": "BTA-DET-01"}]},
        "timestamp": stamp,
        "labels": {"id": "agent-1"},
        "bundles": {"trustpolicy": {"revision": "2026.05"}},
    }


# -- URLs -------------------------------------------------------------------------------------


def test_store_url_selects_the_backend(tmp_path: Path) -> None:
    assert parse_store_url(tmp_path / "d.sqlite").path == tmp_path / "d.sqlite"
    assert parse_store_url("var/d.sqlite").path == Path("var/d.sqlite")
    assert parse_store_url(f"sqlite://{tmp_path}/d.sqlite").path == tmp_path / "d.sqlite"
    pg = parse_store_url("postgresql://collector@db.example:5433/records?sslmode=require")
    assert (pg.kind, pg.display) == ("postgresql", "postgresql://collector@db.example:5433/records")
    assert parse_store_url("postgres://u@h/d").is_postgresql


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("mysql://h/db", "mysql:// is not a store"),
        ("sqlite://relative.sqlite", "sqlite:///absolute/path"),
        ("", "empty store URL"),
        ("postgresql://u:hunter2-secret@h/db", "carries a password"),
        ("postgresql://u@h/db?password=hunter2-secret", "carries a password"),
    ],
)
def test_bad_store_url_is_a_config_error_naming_db(url: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        DecisionStore(url)
    assert str(info.value).startswith("db: ")
    assert "hunter2-secret" not in str(info.value)


# -- migrations -------------------------------------------------------------------------------


def test_both_backends_know_the_same_migrations() -> None:
    assert [(m.version, m.name) for m in SQLITE_MIGRATIONS] == [
        (m.version, m.name) for m in PG_MIGRATIONS
    ]
    assert [m.version for m in PG_MIGRATIONS] == list(range(1, len(PG_MIGRATIONS) + 1))


def test_new_sqlite_file_is_migrated_on_open_and_reports_it(tmp_path: Path) -> None:
    with DecisionStore(tmp_path / "d.sqlite") as store:
        status = store.schema_status()
        assert isinstance(status, SchemaStatus)
        assert (status.version, status.latest, status.pending, status.current) == (
            LATEST,
            LATEST,
            (),
            True,
        )
        assert store.migrate() == []
    proc = trustpolicy("db", "migrate", "--db", f"sqlite://{tmp_path}/d.sqlite")
    assert proc.returncode == 0, proc.stderr
    assert "no migration to apply" in proc.stdout
    assert f"schema at version {LATEST} (latest {LATEST})" in proc.stdout


def test_store_written_before_migrations_is_adopted_with_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    for statement in SQLITE_MIGRATIONS[0].statements:  # the schema every earlier release made
        con.execute(statement)
    con.execute(
        "INSERT INTO decisions VALUES ('old-1', 'a', '2025-01-01T00:00:00+00:00', "
        "'2025-01-01T00:00:01+00:00', 'p', '{}', 'null', '{}', '{}', NULL, 0)"
    )
    con.commit()
    con.close()
    status = trustpolicy("db", "status", "--db", db)
    assert status.returncode == 1
    assert "pending 1: decisions and agent status" in status.stdout
    migrate = trustpolicy("db", "migrate", "--db", db)
    assert migrate.returncode == 0, migrate.stderr
    assert "applied migration 1: decisions and agent status" in migrate.stdout
    with DecisionStore(db) as store:
        assert [d.decision_id for d in store.decisions()] == ["old-1"]


def test_postgres_store_refuses_an_unmigrated_database_and_names_the_command(
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database("fresh")
    with pytest.raises(CollectorError, match=r"schema version 0.*trustpolicy db migrate"):
        DecisionStore(url, password=postgres.app_password)
    env = {"TRUSTPOLICY_DB_PASSWORD": postgres.app_password}
    before = trustpolicy("db", "status", "--db", url, env=env)
    assert before.returncode == 1, before.stderr
    assert f"schema at version 0 (latest {LATEST})" in before.stdout
    assert "pending 1: decisions and agent status" in before.stdout
    migrate = trustpolicy("db", "migrate", "--db", url, env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout.splitlines()[0] == "applied migration 1: decisions and agent status"
    after = trustpolicy("db", "status", "--db", url, env=env)
    assert after.returncode == 0, after.stderr
    assert "applied 1: decisions and agent status" in after.stdout
    assert "decisions stored: 0" in after.stdout
    with DecisionStore(url, password=postgres.app_password) as store:
        assert store.schema_status().current


def test_two_processes_migrating_at_once_apply_each_migration_once(
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database("race")
    env = {"TRUSTPOLICY_DB_PASSWORD": postgres.app_password}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTPOLICY_DB", "PG"))}
    cmd = [sys.executable, "-m", "trustpolicy", "db", "migrate", "--db", url]
    procs = [
        subprocess.Popen(cmd, env={**base, **env}, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert sum("applied migration 1" in out for out in outs) == 1
    assert sum("no migration to apply" in out for out in outs) == 2
    rows = store_query_pg(postgres, url, "SELECT version FROM schema_migrations ORDER BY 1")
    assert rows == [(m.version,) for m in PG_MIGRATIONS]


def store_query_pg(postgres: PostgresServer, url: str, sql: str) -> list[tuple[Any, ...]]:
    os.environ["TRUSTPOLICY_DB_PASSWORD"] = postgres.app_password
    try:
        return store_query(url, sql)
    finally:
        del os.environ["TRUSTPOLICY_DB_PASSWORD"]


def test_schema_newer_than_this_release_is_refused(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database("newer")
    with DecisionStore(url, password=postgres.app_password, migrate=True):
        pass
    store_query_pg(postgres, url, "INSERT INTO schema_migrations VALUES (99, 'future', now())")
    with pytest.raises(CollectorError, match="newer than this trustpolicy"):
        DecisionStore(url, password=postgres.app_password)
    with DecisionStore(tmp_path / "d.sqlite") as store:
        assert store.schema_status().current
    con = sqlite3.connect(tmp_path / "d.sqlite")
    con.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01T00:00:00')")
    con.commit()
    con.close()
    status = trustpolicy("db", "status", "--db", tmp_path / "d.sqlite")
    assert status.returncode == 1
    assert "newer than this trustpolicy" in status.stdout


# -- passwords ------------------------------------------------------------------------------


def test_password_comes_from_a_file_or_the_environment_never_the_command_line(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.new_database("pw")
    secret = postgres.app_password
    pwfile = tmp_path / "db.pw"
    pwfile.write_text(secret + "\n")
    by_file = trustpolicy("db", "migrate", "--db", url, "--db-password-file", pwfile)
    assert by_file.returncode == 0, by_file.stderr
    for name in ("TRUSTPOLICY_DB_PASSWORD", "PGPASSWORD"):
        by_env = trustpolicy("db", "status", "--db", url, env={name: secret})
        assert by_env.returncode == 0, (name, by_env.stderr)
    none = trustpolicy("db", "status", "--db", url)
    assert none.returncode == 2
    assert "cannot connect to" in none.stderr
    assert "password" in none.stderr
    # There is no option that takes the password itself, and the URL may not carry it.
    option = trustpolicy("db", "status", "--db", url, "--db-password", secret)
    assert option.returncode == 2
    assert "No such option" in option.stderr
    in_url = url.replace("trustpolicy@", f"trustpolicy:{secret}@")
    refused = trustpolicy("db", "status", "--db", in_url)
    assert refused.returncode == 2
    assert "carries a password" in refused.stderr
    for proc in (by_file, none, option, refused):
        assert secret not in proc.stdout + proc.stderr


def test_wrong_password_is_a_clear_error_and_no_password_reaches_a_log(
    postgres: PostgresServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = postgres.new_database("wrong")
    wrong = "wrong-" + uuid.uuid4().hex
    with pytest.raises(CollectorError, match="password authentication failed") as info:
        DecisionStore(url, password=wrong)
    assert wrong not in str(info.value)
    pwfile = tmp_path / "wrong.pw"
    pwfile.write_text(wrong)
    proc = trustpolicy("report", "--db", url, "--db-password-file", pwfile)
    assert proc.returncode == 2
    assert "password authentication failed" in proc.stderr
    # A working collector, logging at INFO, with the right password in its file.
    with DecisionStore(url, password=postgres.app_password, migrate=True) as store:
        store.add("a", [event("d-1")])
    right = tmp_path / "right.pw"
    right.write_text(postgres.app_password)
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"agent-1": TOKEN}))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTPOLICY_DB", "PG"))}
    options = ["--db-password-file", str(right), "--tokens", str(tokens), "--port", "0"]
    collector = subprocess.Popen(
        [sys.executable, "-m", "trustpolicy", "collect", "--db", url, *options],
        env=base,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert collector.stderr is not None
    try:
        line = collector.stderr.readline()
        assert line.startswith("collector on http://127.0.0.1:"), line
        base_url = line.split()[2]
        body = gzip.compress(json.dumps([event("d-2")]).encode())
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Encoding": "gzip"}
        resp = requests.post(base_url + "/logs", data=body, headers=headers, timeout=10)
        assert resp.json() == {"added": 1, "duplicates": 0, "not_decisions": 0}
    finally:
        collector.terminate()
        _, rest = collector.communicate(timeout=30)
    assert collector.returncode == 0
    logs = line + rest + caplog.text + postgres.log.read_text(errors="replace")
    assert "password authentication failed" in logs  # the server logged the refusals...
    for secret in (wrong, postgres.app_password):  # ...and nobody logged a password
        assert secret not in logs


# -- idempotence across collectors ----------------------------------------------------------


def test_two_collectors_on_one_database_store_each_decision_once(
    postgres: PostgresServer,
) -> None:
    """Every batch goes to both collectors at once, in different orders, from 8 threads."""
    url = postgres.new_database("twice")
    with DecisionStore(url, password=postgres.app_password, migrate=True):
        pass
    stores = [DecisionStore(url, password=postgres.app_password) for _ in range(2)]
    ids = [f"d-{i:04d}" for i in range(800)]
    batches = [ids[i : i + 40] for i in range(0, len(ids), 40)]
    added: list[int] = []
    lock = threading.Lock()
    try:
        with Collector(stores[0], {"a": TOKEN}) as one, Collector(stores[1], {"a": TOKEN}) as two:

            def send(batch: list[str], target: str) -> None:
                body = gzip.compress(json.dumps([event(i) for i in batch]).encode())
                headers = {"Authorization": f"Bearer {TOKEN}", "Content-Encoding": "gzip"}
                resp = requests.post(target + "/logs", data=body, headers=headers, timeout=30)
                assert resp.status_code == 200, resp.text
                with lock:
                    added.append(resp.json()["added"])

            jobs = [(b, one.url) for b in batches]
            jobs += [(list(reversed(b)), two.url) for b in batches]
            jobs += [(b[::2] + b[1::2], two.url) for b in batches]
            threads = [
                threading.Thread(target=lambda part=jobs[k::8]: [send(*j) for j in part])
                for k in range(8)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
    finally:
        for store in stores:
            store.close()
    assert len(added) == 3 * len(batches)
    assert sum(added) == len(ids)
    rows = store_query_pg(
        postgres, url, "SELECT count(*), count(DISTINCT decision_id) FROM decisions"
    )
    assert rows == [(len(ids), len(ids))]


def test_postgresql_url_without_psycopg_installed_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """psycopg is the postgresql extra: a client installed without it is told what to add."""
    for name in ("psycopg", "psycopg.conninfo", "trustpolicy.record._postgres"):
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    with pytest.raises(ConfigError, match=r"trustpolicy\[postgresql\]"):
        DecisionStore("postgresql://collector@records-db/trustpolicy")
    with DecisionStore(tmp_path / "d.sqlite") as store:  # SQLite needs no psycopg
        assert store.schema_status().current
