"""The SQLite backend of the decision store: one file (WAL, synchronous FULL); all its SQL.

The embedded default. One connection behind a lock serves every thread of a collector;
other processes on the same file wait up to five seconds for the write lock. Opening a
file applies its pending migrations (migration 1 is the schema every earlier trustpolicy
created, so an existing store is adopted as it is).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from trustpolicy.contract._errors import CollectorError
from trustpolicy.record._backend import AppliedMigration, Migration, SchemaStatus

if TYPE_CHECKING:
    from pathlib import Path

    from trustpolicy.record._backend import DecisionRow, ReceiptRow, StoredReceipt, StoredRow

__all__: list[str] = []  # reached through DecisionStore only


def _index(name: str, on: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {on}"


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "decisions and agent status",
        (
            """CREATE TABLE IF NOT EXISTS decisions (
                decision_id TEXT PRIMARY KEY,
                agent TEXT NOT NULL,
                timestamp TEXT NOT NULL,
                received_at TEXT NOT NULL,
                path TEXT NOT NULL,
                input TEXT NOT NULL,
                result TEXT,
                bundles TEXT NOT NULL,
                labels TEXT NOT NULL,
                error TEXT,
                stripped INTEGER NOT NULL
            ) WITHOUT ROWID""",
            "CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (timestamp)",
            """CREATE TABLE IF NOT EXISTS agent_status (
                agent TEXT PRIMARY KEY,
                received_at TEXT NOT NULL,
                status TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "detainer register",
        (
            """CREATE TABLE IF NOT EXISTS detainer_receipts (
                receipt_id TEXT PRIMARY KEY,
                reference_hash TEXT NOT NULL,
                received_at TEXT NOT NULL,
                district TEXT,
                form TEXT,
                basis TEXT NOT NULL,
                received_via TEXT,
                source TEXT NOT NULL,
                recorded_at TEXT NOT NULL
            ) WITHOUT ROWID""",
            _index("detainer_receipts_by_hash", "detainer_receipts (reference_hash)"),
            _index("detainer_receipts_by_time", "detainer_receipts (received_at)"),
            """CREATE TABLE IF NOT EXISTS detainer_links (
                decision_id TEXT PRIMARY KEY,
                reference_hash TEXT NOT NULL
            ) WITHOUT ROWID""",
            "CREATE INDEX IF NOT EXISTS detainer_links_by_hash ON detainer_links (reference_hash)",
            """CREATE TABLE IF NOT EXISTS register_key (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                fingerprint TEXT NOT NULL,
                keyed_at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "decisions keyed on agent and decision id",
        (
            "ALTER TABLE decisions RENAME TO decisions_by_id_only",
            "DROP INDEX IF EXISTS decisions_by_time",
            """CREATE TABLE decisions (
                decision_id TEXT NOT NULL,
                agent TEXT NOT NULL,
                timestamp TEXT NOT NULL,
                received_at TEXT NOT NULL,
                path TEXT NOT NULL,
                input TEXT NOT NULL,
                result TEXT,
                bundles TEXT NOT NULL,
                labels TEXT NOT NULL,
                error TEXT,
                stripped INTEGER NOT NULL,
                PRIMARY KEY (agent, decision_id)
            ) WITHOUT ROWID""",
            "INSERT INTO decisions SELECT * FROM decisions_by_id_only",
            "DROP TABLE decisions_by_id_only",
            "CREATE INDEX decisions_by_time ON decisions (timestamp)",
            "CREATE INDEX decisions_by_id ON decisions (decision_id)",
        ),
    ),
)

_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""
_COLUMNS = "decision_id, agent, timestamp, path, input, result, bundles, labels, error"
_INSERT = (
    "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (agent, decision_id) DO NOTHING"
)
_SELECT = (
    f"SELECT {_COLUMNS} FROM decisions WHERE timestamp >= ? AND timestamp < ? "  # noqa: S608
    "ORDER BY timestamp, decision_id"
)
_INSERT_LINK = "INSERT INTO detainer_links VALUES (?,?) ON CONFLICT (decision_id) DO NOTHING"
_INSERT_RECEIPT = (
    "INSERT INTO detainer_receipts VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (receipt_id) DO NOTHING"
)
_RECEIPTS = (
    "SELECT receipt_id, reference_hash, received_at, district, form, basis, received_via, "
    "source FROM detainer_receipts WHERE received_at >= ? AND received_at < ? "
    "ORDER BY received_at, receipt_id"
)
_NAMED = (
    "SELECT l.reference_hash, d.decision_id, d.agent, d.timestamp, d.path, d.input, d.result, "
    "d.bundles, d.labels, d.error FROM detainer_links l "
    "JOIN decisions d ON d.decision_id = l.decision_id "
    "WHERE l.reference_hash IN ({marks}) ORDER BY d.timestamp, d.decision_id"
)
_CHUNK = 500
_UPSERT_STATUS = (
    "INSERT INTO agent_status VALUES (?,?,?) ON CONFLICT (agent) "
    "DO UPDATE SET received_at = excluded.received_at, status = excluded.status"
)


class SQLiteBackend:
    """The decision store in one SQLite file; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        self.url = str(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _owner_only(self.path)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
        except (OSError, sqlite3.Error) as exc:
            raise CollectorError(f"cannot open decision store {self.path}: {exc}") from exc
        if migrate:
            self.migrate()

    def insert_decisions(
        self, rows: list[DecisionRow], links: list[tuple[str, str]], receipts: list[ReceiptRow]
    ) -> int:
        """Insert an upload in one transaction; return how many decisions were new."""
        params = [(*row[:2], row[2].isoformat(), row[3].isoformat(), *row[4:]) for row in rows]
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(_INSERT, params)
                added = self._db.total_changes - before
                self._db.executemany(_INSERT_LINK, links)
                self._db.executemany(_INSERT_RECEIPT, [_receipt_params(r) for r in receipts])
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise CollectorError(f"cannot store decision logs in {self.path}: {exc}") from exc
        return added

    def _write(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> int:
        """Run ``(sql, rows)`` pairs in one transaction; return the rows changed."""
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                for sql, rows in statements:
                    self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
                return self._db.total_changes - before
            except sqlite3.Error as exc:
                self._rollback()
                raise CollectorError(f"cannot write the register in {self.path}: {exc}") from exc

    def insert_receipts(self, rows: list[ReceiptRow]) -> int:
        """Insert receipts in one transaction; return how many were new."""
        return self._write([(_INSERT_RECEIPT, [_receipt_params(r) for r in rows])])

    def select_receipts(self, lo: datetime, hi: datetime) -> list[StoredReceipt]:
        """Receipts with ``lo <= received_at < hi``, oldest first."""
        rows = self._query(_RECEIPTS, (lo.isoformat(), hi.isoformat()))
        return [(r[0], r[1], datetime.fromisoformat(r[2]), *r[3:]) for r in rows]

    def select_named(self, hashes: list[str]) -> list[tuple[str, StoredRow]]:
        """Each stored decision linked to one of ``hashes``, with the hash."""
        found: list[tuple[str, StoredRow]] = []
        for start in range(0, len(hashes), _CHUNK):
            chunk = tuple(hashes[start : start + _CHUNK])
            sql = _NAMED.format(marks=",".join("?" * len(chunk)))
            rows = self._query(sql, chunk)
            found += [(r[0], (r[1], r[2], datetime.fromisoformat(r[3]), *r[4:])) for r in rows]
        found.sort(key=lambda item: (item[1][2], item[1][0]))
        return found

    def register_count(self) -> tuple[int, int]:
        """Distinct reference hashes among the receipts, and the receipts."""
        sql = "SELECT count(DISTINCT reference_hash), count(*) FROM detainer_receipts"
        rows = self._query(sql, ())
        return int(rows[0][0]), int(rows[0][1])

    def register_hashes(self) -> set[str]:
        """Every reference hash the receipts and links hold."""
        sql = (
            "SELECT reference_hash FROM detainer_receipts "
            "UNION SELECT reference_hash FROM detainer_links"
        )
        return {str(r[0]) for r in self._query(sql, ())}

    def register_fingerprint(self) -> str | None:
        """The register key's fingerprint, if recorded."""
        rows = self._query("SELECT fingerprint FROM register_key WHERE id = 1", ())
        return str(rows[0][0]) if rows else None

    def set_register_fingerprint(self, fingerprint: str, keyed_at: datetime) -> None:
        """Record the fingerprint unless one is recorded."""
        sql = "INSERT INTO register_key VALUES (1,?,?) ON CONFLICT (id) DO NOTHING"
        self._write([(sql, [(fingerprint, keyed_at.isoformat())])])

    def rekey(self, pairs: list[tuple[str, str]], fingerprint: str, keyed_at: datetime) -> None:
        """Replace each hash and the fingerprint in one transaction."""
        self._write(
            [
                ("UPDATE detainer_receipts SET reference_hash = ? WHERE reference_hash = ?", pairs),
                ("UPDATE detainer_links SET reference_hash = ? WHERE reference_hash = ?", pairs),
                (
                    "UPDATE register_key SET fingerprint = ?, keyed_at = ? WHERE id = 1",
                    [(fingerprint, keyed_at.isoformat())],
                ),
            ]
        )

    def select_owners(self, decision_ids: list[str]) -> list[tuple[str, str, str, str | None]]:
        """``(decision_id, agent, input, result)`` of the stored rows with these IDs."""
        found: list[tuple[str, str, str, str | None]] = []
        for start in range(0, len(decision_ids), 500):
            part = decision_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT decision_id, agent, input, result FROM decisions WHERE decision_id IN ({marks})"  # noqa: S608, E501
            found += [(r[0], r[1], r[2], r[3]) for r in self._query(sql, tuple(part))]
        return found

    def select_decisions(self, lo: datetime, hi: datetime) -> list[StoredRow]:
        """Rows with ``lo <= timestamp < hi``, oldest first."""
        rows = self._query(_SELECT, (lo.isoformat(), hi.isoformat()))
        return [(r[0], r[1], datetime.fromisoformat(r[2]), *r[3:]) for r in rows]

    def count_decisions(self) -> int:
        """How many decisions are stored."""
        return int(self._query("SELECT count(*) FROM decisions", ())[0][0])

    def upsert_status(self, agent: str, received_at: datetime, status: str) -> None:
        """Keep the latest status report of ``agent``."""
        with self._lock:
            try:
                self._db.execute(_UPSERT_STATUS, (agent, received_at.isoformat(), status))
            except sqlite3.Error as exc:
                raise CollectorError(f"cannot store agent status in {self.path}: {exc}") from exc

    def select_statuses(self) -> list[tuple[str, str]]:
        """Each agent's latest status report, by agent."""
        rows = self._query("SELECT agent, status FROM agent_status ORDER BY agent", ())
        return [(str(agent), str(text)) for agent, text in rows]

    def schema_status(self) -> SchemaStatus:
        """Applied and pending migrations of this file."""
        with self._lock:
            try:
                applied = self._applied()
            except sqlite3.Error as exc:
                raise CollectorError(f"cannot read the schema of {self.path}: {exc}") from exc
        done = {m.version for m in applied}
        pending = tuple(m for m in MIGRATIONS if m.version not in done)
        return SchemaStatus(self.url, tuple(applied), pending, MIGRATIONS[-1].version)

    def migrate(self) -> list[Migration]:
        """Apply the pending migrations, each in its own transaction; return them."""
        done: list[Migration] = []
        with self._lock:
            try:
                self._db.execute(_MIGRATIONS_TABLE)
                for migration in MIGRATIONS:
                    self._db.execute("BEGIN IMMEDIATE")
                    known = {m.version for m in self._applied()}
                    if migration.version in known:
                        self._db.execute("COMMIT")
                        continue
                    for statement in migration.statements:
                        self._db.execute(statement)
                    self._db.execute(
                        "INSERT INTO schema_migrations VALUES (?,?,?)",
                        (migration.version, migration.name, datetime.now(UTC).isoformat()),
                    )
                    self._db.execute("COMMIT")
                    done.append(migration)
            except sqlite3.Error as exc:
                self._rollback()
                raise CollectorError(f"cannot migrate decision store {self.path}: {exc}") from exc
        return done

    def _applied(self) -> list[AppliedMigration]:
        exists = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if exists is None:
            return []
        rows = self._db.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
        return [AppliedMigration(int(v), str(n), datetime.fromisoformat(a)) for v, n, a in rows]

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise CollectorError(f"cannot read decision store {self.path}: {exc}") from exc

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


def _owner_only(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.chmod(0o600)


def _receipt_params(row: ReceiptRow) -> tuple[Any, ...]:
    """A receipt row with its times as the ISO text this backend stores."""
    *head, recorded = row
    head[2] = head[2].isoformat()
    return (*head, recorded.isoformat())
