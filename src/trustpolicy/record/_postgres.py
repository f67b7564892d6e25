"""The PostgreSQL backend of the decision store: a connection pool and all its SQL.

For a city whose records live on a database server: several collectors (behind a load
balancer) write into one database, and the report reads the same one. A decision is
stored once however many collectors receive it: ``decision_id`` is the primary key and
every insert is ``ON CONFLICT DO NOTHING``, never a read-then-write. A batch is inserted in
decision-ID order, so two transactions holding overlapping batches cannot deadlock, and a
transaction the server aborts anyway (deadlock, serialisation, a dropped connection) is
retried whole, which the unique key makes safe.

The schema belongs to ``trustpolicy db migrate`` (an operator with DDL rights runs it
once per release); a collector or report refuses a database whose schema is behind or
ahead of the migrations below, naming the command to run.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from trustpolicy.contract._errors import CollectorError
from trustpolicy.record._backend import AppliedMigration, Migration, SchemaStatus

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from trustpolicy.record._backend import DecisionRow, StoredRow, StoreURL

    T = TypeVar("T")

__all__: list[str] = []  # reached through DecisionStore only

_log = logging.getLogger("trustpolicy.collector")

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "decisions and agent status",
        (
            # json (not jsonb) keeps the text exactly as the SQLite store does, and accepts
            # every string OPA can send (jsonb refuses \u0000); cast to jsonb to query it.
            """CREATE TABLE decisions (
                decision_id text COLLATE "C" PRIMARY KEY,
                agent text NOT NULL,
                "timestamp" timestamptz NOT NULL,
                received_at timestamptz NOT NULL,
                path text NOT NULL,
                input json NOT NULL,
                result json,
                bundles json NOT NULL,
                labels json NOT NULL,
                error text,
                stripped integer NOT NULL
            )""",
            'CREATE INDEX decisions_by_time ON decisions ("timestamp", decision_id)',
            """CREATE TABLE agent_status (
                agent text PRIMARY KEY,
                received_at timestamptz NOT NULL,
                status json NOT NULL
            )""",
        ),
    ),
)

# One lock key for every trustpolicy migration on this database (any fixed 64-bit number).
_MIGRATION_LOCK = 0x7472_7573_7470_6F6C
_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
_INSERT = (
    'INSERT INTO decisions (decision_id, agent, "timestamp", received_at, path, input, '
    "result, bundles, labels, error, stripped) VALUES (%s, %s, %s, %s, %s, %s::json, "
    "%s::json, %s::json, %s::json, %s, %s) ON CONFLICT (decision_id) DO NOTHING"
)
_SELECT = (
    'SELECT decision_id, agent, "timestamp", path, input::text, result::text, bundles::text, '
    'labels::text, error FROM decisions WHERE "timestamp" >= %s AND "timestamp" < %s '
    'ORDER BY "timestamp", decision_id'
)
_UPSERT_STATUS = (
    "INSERT INTO agent_status (agent, received_at, status) VALUES (%s, %s, %s::json) "
    "ON CONFLICT (agent) DO UPDATE SET received_at = excluded.received_at, "
    "status = excluded.status"
)
_RETRIES = 5
# Errors after which the whole transaction may simply run again.
_TRANSIENT = (
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
    psycopg.OperationalError,
)


class PostgresBackend:
    """The decision store on a PostgreSQL server, through a psycopg connection pool."""

    def __init__(
        self,
        url: StoreURL,
        *,
        password: str | None = None,
        migrate: bool | None = None,
        pool_size: int = 8,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.display
        kwargs: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
        if password is not None:
            kwargs["password"] = password
        kwargs["application_name"] = "trustpolicy"
        # Connect once first: a refused login or an unknown database gets libpq's own
        # message (which never contains the password) instead of a pool timeout.
        try:
            with psycopg.connect(url.conninfo, **kwargs) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise CollectorError(f"cannot connect to {self.url}: {_reason(exc)}") from exc
        self._pool = ConnectionPool(
            url.conninfo,
            kwargs=kwargs,
            min_size=1,
            max_size=max(1, pool_size),
            timeout=timeout,
            check=ConnectionPool.check_connection,
            name="trustpolicy-store",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
            if migrate:
                self.migrate()
            elif migrate is None:  # False: open as it is (trustpolicy db status, db migrate)
                self._require_current()
        except (psycopg.Error, PoolTimeout, CollectorError):
            self._pool.close()
            raise

    def _require_current(self) -> None:
        status = self.schema_status()
        if status.current:
            return
        if status.version > status.latest:
            raise CollectorError(
                f"{self.url}: schema version {status.version} is newer than this trustpolicy "
                f"knows ({status.latest}); upgrade trustpolicy"
            )
        raise CollectorError(
            f"{self.url}: schema version {status.version}, this trustpolicy needs "
            f"{status.latest}: run 'trustpolicy db migrate --db {self.url}'"
        )

    def _run(self, what: str, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``work`` in one transaction, again on a transient failure; raise CollectorError."""
        for attempt in range(1, _RETRIES + 1):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return work(conn)
            except _TRANSIENT as exc:
                if attempt == _RETRIES:
                    raise CollectorError(f"cannot {what} in {self.url}: {_reason(exc)}") from exc
                _log.warning("%s in %s failed (%s); retrying", what, self.url, type(exc).__name__)
                time.sleep(0.05 * attempt)
            except (psycopg.Error, PoolTimeout) as exc:
                raise CollectorError(f"cannot {what} in {self.url}: {_reason(exc)}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def insert_decisions(self, rows: list[DecisionRow]) -> int:
        """Insert the new rows in one transaction (in decision-ID order); return how many."""
        ordered = sorted(rows, key=lambda row: row[0])

        def work(conn: psycopg.Connection[Any]) -> int:
            with conn.cursor() as cur:
                cur.executemany(_INSERT, ordered)
                return max(cur.rowcount, 0)

        return self._run("store decision logs", work) if ordered else 0

    def select_decisions(self, lo: datetime, hi: datetime) -> list[StoredRow]:
        """Rows with ``lo <= timestamp < hi``, oldest first."""

        def work(conn: psycopg.Connection[Any]) -> list[StoredRow]:
            rows = conn.execute(_SELECT, (lo, hi)).fetchall()
            return [(r[0], r[1], r[2].astimezone(UTC), *r[3:]) for r in rows]

        return self._run("read decisions", work)

    def count_decisions(self) -> int:
        """How many decisions are stored."""

        def work(conn: psycopg.Connection[Any]) -> int:
            row = conn.execute("SELECT count(*) FROM decisions").fetchone()
            return int(row[0]) if row else 0

        return self._run("count decisions", work)

    def upsert_status(self, agent: str, received_at: datetime, status: str) -> None:
        """Keep the latest status report of ``agent``."""
        self._run(
            "store agent status",
            lambda conn: conn.execute(_UPSERT_STATUS, (agent, received_at, status)),
        )

    def select_statuses(self) -> list[tuple[str, str]]:
        """Each agent's latest status report, by agent."""

        def work(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
            sql = "SELECT agent, status::text FROM agent_status ORDER BY agent"
            return [(str(a), str(s)) for a, s in conn.execute(sql).fetchall()]

        return self._run("read agent status", work)

    def schema_status(self) -> SchemaStatus:
        """Applied and pending migrations of this database."""
        applied = self._run("read the schema", _applied)
        done = {m.version for m in applied}
        pending = tuple(m for m in MIGRATIONS if m.version not in done)
        return SchemaStatus(self.url, tuple(applied), pending, MIGRATIONS[-1].version)

    def migrate(self) -> list[Migration]:
        """Apply the pending migrations in one transaction under an advisory lock."""

        def work(conn: psycopg.Connection[Any]) -> list[Migration]:
            # Two processes migrating at once: the second waits here, then finds it done.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(_MIGRATIONS_TABLE)
            known = {m.version for m in _applied(conn)}
            done = []
            for migration in MIGRATIONS:
                if migration.version in known:
                    continue
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                done.append(migration)
            return done

        return self._run("migrate", work)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()


def _applied(conn: psycopg.Connection[Any]) -> list[AppliedMigration]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
    ).fetchall()
    return [AppliedMigration(int(v), str(n), a.astimezone(UTC)) for v, n, a in rows]


def _reason(exc: BaseException) -> str:
    """The error on one line (libpq names host, user and database, never the password)."""
    return " ".join(str(exc).split()) or type(exc).__name__
