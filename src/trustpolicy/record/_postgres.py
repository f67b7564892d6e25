"""The PostgreSQL backend of the decision store: a connection pool and all its SQL.

For a city whose records live on a database server: several collectors (behind a load
balancer) write into one database, and the report reads the same one. A decision is
stored once however many collectors receive it: ``(agent, decision_id)`` is the primary key and
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

    from trustpolicy.record._backend import (
        DecisionRow,
        ReceiptRow,
        StoredReceipt,
        StoredRow,
        StoreURL,
    )

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
    Migration(
        2,
        "detainer register",
        (
            """CREATE TABLE detainer_receipts (
                receipt_id text COLLATE "C" PRIMARY KEY,
                reference_hash text NOT NULL,
                received_at timestamptz NOT NULL,
                district text,
                form text,
                basis json NOT NULL,
                received_via text,
                source text NOT NULL,
                recorded_at timestamptz NOT NULL
            )""",
            "CREATE INDEX detainer_receipts_by_hash ON detainer_receipts (reference_hash)",
            "CREATE INDEX detainer_receipts_by_time ON detainer_receipts (received_at, receipt_id)",
            """CREATE TABLE detainer_links (
                decision_id text COLLATE "C" PRIMARY KEY,
                reference_hash text NOT NULL
            )""",
            "CREATE INDEX detainer_links_by_hash ON detainer_links (reference_hash)",
            """CREATE TABLE register_key (
                id integer PRIMARY KEY CHECK (id = 1),
                fingerprint text NOT NULL,
                keyed_at timestamptz NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "decisions keyed on agent and decision id",
        (
            "ALTER TABLE decisions DROP CONSTRAINT decisions_pkey",
            "ALTER TABLE decisions ADD PRIMARY KEY (agent, decision_id)",
            "CREATE INDEX decisions_by_id ON decisions (decision_id)",
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
    "%s::json, %s::json, %s::json, %s, %s) ON CONFLICT (agent, decision_id) DO NOTHING"
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
_INSERT_LINK = (
    "INSERT INTO detainer_links (decision_id, reference_hash) VALUES (%s, %s) "
    "ON CONFLICT (decision_id) DO NOTHING"
)
_INSERT_RECEIPT = (
    "INSERT INTO detainer_receipts (receipt_id, reference_hash, received_at, district, form, "
    "basis, received_via, source, recorded_at) VALUES (%s, %s, %s, %s, %s, %s::json, %s, %s, "
    "%s) ON CONFLICT (receipt_id) DO NOTHING"
)
_RECEIPTS = (
    "SELECT receipt_id, reference_hash, received_at, district, form, basis::text, received_via, "
    "source FROM detainer_receipts WHERE received_at >= %s AND received_at < %s "
    "ORDER BY received_at, receipt_id"
)
_NAMED = (
    'SELECT l.reference_hash, d.decision_id, d.agent, d."timestamp", d.path, d.input::text, '
    "d.result::text, d.bundles::text, d.labels::text, d.error FROM detainer_links l "
    "JOIN decisions d ON d.decision_id = l.decision_id "
    'WHERE l.reference_hash = ANY(%s) ORDER BY d."timestamp", d.decision_id'
)
_HASHES = (
    "SELECT reference_hash FROM detainer_receipts UNION SELECT reference_hash FROM detainer_links"
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

    def insert_decisions(
        self, rows: list[DecisionRow], links: list[tuple[str, str]], receipts: list[ReceiptRow]
    ) -> int:
        """Insert an upload in one transaction, each table in key order; return new decisions."""
        ordered = sorted(rows, key=lambda row: row[0])

        def work(conn: psycopg.Connection[Any]) -> int:
            added = 0
            with conn.cursor() as cur:
                if ordered:
                    cur.executemany(_INSERT, ordered)
                    added = max(cur.rowcount, 0)
                if links:
                    cur.executemany(_INSERT_LINK, sorted(links))
                if receipts:
                    ordered_receipts: list[ReceiptRow] = sorted(receipts, key=_first)
                    cur.executemany(_INSERT_RECEIPT, ordered_receipts)
            return added

        return self._run("store decision logs", work) if rows or links or receipts else 0

    def insert_receipts(self, rows: list[ReceiptRow]) -> int:
        """Insert receipts in one transaction (in receipt-ID order); return how many were new."""

        def work(conn: psycopg.Connection[Any]) -> int:
            with conn.cursor() as cur:
                ordered: list[ReceiptRow] = sorted(rows, key=_first)
                cur.executemany(_INSERT_RECEIPT, ordered)
                return max(cur.rowcount, 0)

        return self._run("write the register", work) if rows else 0

    def select_receipts(self, lo: datetime, hi: datetime) -> list[StoredReceipt]:
        """Receipts with ``lo <= received_at < hi``, oldest first."""

        def work(conn: psycopg.Connection[Any]) -> list[StoredReceipt]:
            rows = conn.execute(_RECEIPTS, (lo, hi)).fetchall()
            return [(r[0], r[1], r[2].astimezone(UTC), *r[3:]) for r in rows]

        return self._run("read the register", work)

    def select_named(self, hashes: list[str]) -> list[tuple[str, StoredRow]]:
        """Each stored decision linked to one of ``hashes``, with the hash."""

        def work(conn: psycopg.Connection[Any]) -> list[tuple[str, StoredRow]]:
            rows = conn.execute(_NAMED, (hashes,)).fetchall()
            return [(r[0], (r[1], r[2], r[3].astimezone(UTC), *r[4:])) for r in rows]

        return self._run("read the register", work) if hashes else []

    def register_count(self) -> tuple[int, int]:
        """Distinct reference hashes among the receipts, and the receipts."""

        def work(conn: psycopg.Connection[Any]) -> tuple[int, int]:
            sql = "SELECT count(DISTINCT reference_hash), count(*) FROM detainer_receipts"
            row = conn.execute(sql).fetchone()
            return (int(row[0]), int(row[1])) if row else (0, 0)

        return self._run("read the register", work)

    def register_hashes(self) -> set[str]:
        """Every reference hash the receipts and links hold."""
        return self._run(
            "read the register", lambda c: {str(r[0]) for r in c.execute(_HASHES).fetchall()}
        )

    def register_fingerprint(self) -> str | None:
        """The register key's fingerprint, if recorded."""

        def work(conn: psycopg.Connection[Any]) -> str | None:
            row = conn.execute("SELECT fingerprint FROM register_key WHERE id = 1").fetchone()
            return str(row[0]) if row else None

        return self._run("read the register", work)

    def set_register_fingerprint(self, fingerprint: str, keyed_at: datetime) -> None:
        """Record the fingerprint unless one is recorded."""
        sql = (
            "INSERT INTO register_key (id, fingerprint, keyed_at) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO NOTHING"
        )
        self._run("write the register", lambda c: c.execute(sql, (fingerprint, keyed_at)))

    def rekey(self, pairs: list[tuple[str, str]], fingerprint: str, keyed_at: datetime) -> None:
        """Replace each hash and the fingerprint in one transaction."""

        def work(conn: psycopg.Connection[Any]) -> None:
            with conn.cursor() as cur:
                if pairs:
                    for table in ("detainer_receipts", "detainer_links"):
                        cur.executemany(
                            f"UPDATE {table} SET reference_hash = %s "  # noqa: S608
                            "WHERE reference_hash = %s",
                            pairs,
                        )
                cur.execute(
                    "UPDATE register_key SET fingerprint = %s, keyed_at = %s WHERE id = 1",
                    (fingerprint, keyed_at),
                )

        self._run("re-key the register", work)

    def select_decisions(self, lo: datetime, hi: datetime) -> list[StoredRow]:
        """Rows with ``lo <= timestamp < hi``, oldest first."""

        def work(conn: psycopg.Connection[Any]) -> list[StoredRow]:
            rows = conn.execute(_SELECT, (lo, hi)).fetchall()
            return [(r[0], r[1], r[2].astimezone(UTC), *r[3:]) for r in rows]

        return self._run("read decisions", work)

    def select_owners(self, decision_ids: list[str]) -> list[tuple[str, str, str, str | None]]:
        """``(decision_id, agent, input, result)`` of the stored rows with these IDs."""

        def work(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str, str | None]]:
            rows = conn.execute(
                "SELECT decision_id, agent, input::text, result::text FROM decisions "
                "WHERE decision_id = ANY(%s)",
                (decision_ids,),
            ).fetchall()
            return [(r[0], r[1], r[2], r[3]) for r in rows]

        return self._run("read decisions", work) if decision_ids else []

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


def _first(row: tuple[Any, ...]) -> str:
    return str(row[0])


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
