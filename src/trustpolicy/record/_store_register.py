"""The detainer register's tables in the decision store (SQL kept in the store layer).

``detainer_receipts``: one row per arrival of a detainer, keyed by a receipt id (the
decision id of a ``receive_detainer`` decision, or an intake id derived from the row), so
a repeated upload or import adds nothing. ``detainer_links``: which decision named which
detainer (by keyed hash). ``register_key``: the fingerprint of the key the hashes are
under. No table has a column for the reference itself.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from trustpolicy.contract._errors import CollectorError, ConfigError
from trustpolicy.record._register import Receipt

if TYPE_CHECKING:
    import threading
    from collections.abc import Iterable
    from pathlib import Path

    from trustpolicy.record._register_key import RegisterKey
    from trustpolicy.record._store import LoggedDecision

__all__: list[str] = []

REGISTER_SCHEMA = """
CREATE TABLE IF NOT EXISTS detainer_receipts (
    receipt_id TEXT PRIMARY KEY,
    reference_hash TEXT NOT NULL,
    received_at TEXT NOT NULL,
    district TEXT,
    form TEXT,
    basis TEXT NOT NULL,
    received_via TEXT,
    source TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS detainer_receipts_by_hash ON detainer_receipts (reference_hash);
CREATE INDEX IF NOT EXISTS detainer_receipts_by_time ON detainer_receipts (received_at);
CREATE TABLE IF NOT EXISTS detainer_links (
    decision_id TEXT PRIMARY KEY,
    reference_hash TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS detainer_links_by_hash ON detainer_links (reference_hash);
CREATE TABLE IF NOT EXISTS register_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    keyed_at TEXT NOT NULL
);
"""
_RECEIPT_COLUMNS = (
    "receipt_id, reference_hash, received_at, district, form, basis, received_via, source"
)
_INSERT_RECEIPT = (
    "INSERT INTO detainer_receipts VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (receipt_id) DO NOTHING"
)
_INSERT_LINK = "INSERT INTO detainer_links VALUES (?,?) ON CONFLICT (decision_id) DO NOTHING"


def receipt_row(receipt: Receipt, recorded: str) -> tuple[Any, ...]:
    """The ``detainer_receipts`` row of a receipt."""
    return (
        receipt.receipt_id,
        receipt.reference_hash,
        receipt.received_at.astimezone(UTC).isoformat(),
        receipt.district,
        receipt.form,
        json.dumps(list(receipt.basis)),
        receipt.received_via,
        receipt.source,
        recorded,
    )


def _receipt(row: tuple[Any, ...]) -> Receipt:
    rid, digest, received, district, form, basis, via, source = row
    return Receipt(
        receipt_id=rid,
        reference_hash=digest,
        received_at=datetime.fromisoformat(received),
        district=district,
        form=form,
        basis=tuple(json.loads(basis)),
        received_via=via,
        source=source,
    )


class RegisterTables:
    """The register's queries; mixed into DecisionStore, which owns the connection."""

    path: Path
    _db: sqlite3.Connection
    _lock: threading.Lock

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        raise NotImplementedError  # pragma: no cover - DecisionStore provides it

    def _write(self, statements: Iterable[tuple[str, list[tuple[Any, ...]]]]) -> int:
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
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise CollectorError(f"cannot write the register in {self.path}: {exc}") from exc

    def bind_register_key(self, key: RegisterKey) -> None:
        """Record the key's fingerprint on first use; ConfigError if the register has another."""
        rows = self._query("SELECT fingerprint FROM register_key WHERE id = 1", ())
        if rows and rows[0][0] != key.fingerprint:
            raise ConfigError(
                f"the detainer register in {self.path} is keyed with the key of fingerprint "
                f"{rows[0][0]}, not the configured key ({key.fingerprint}); configure the "
                "register's key (after a re-key, the key file 'trustpolicy detainer rekey' wrote)"
            )
        if not rows:
            now = datetime.now(UTC).isoformat()
            self._write(
                [
                    (
                        "INSERT INTO register_key VALUES (1,?,?) ON CONFLICT (id) DO NOTHING",
                        [(key.fingerprint, now)],
                    )
                ]
            )
            self.bind_register_key(key)  # lost a race to another writer: check theirs

    def add_receipts(self, receipts: Iterable[Receipt], key: RegisterKey) -> int:
        """Record receipts in one transaction (all or none); return how many were new."""
        self.bind_register_key(key)
        now = datetime.now(UTC).isoformat()
        return self._write([(_INSERT_RECEIPT, [receipt_row(r, now) for r in receipts])])

    def receipts(self, *, since: datetime, until: datetime) -> list[Receipt]:
        """The receipts with ``since <= received_at < until``, oldest first."""
        sql = (
            f"SELECT {_RECEIPT_COLUMNS} FROM detainer_receipts "  # noqa: S608
            "WHERE received_at >= ? AND received_at < ? ORDER BY received_at, receipt_id"
        )
        lo, hi = since.astimezone(UTC).isoformat(), until.astimezone(UTC).isoformat()
        return [_receipt(row) for row in self._query(sql, (lo, hi))]

    def named_detainers(self, hashes: Iterable[str]) -> dict[str, list[LoggedDecision]]:
        """The stored decisions that named each of ``hashes``, oldest first."""
        from trustpolicy.record._store import _COLUMNS, _decision  # noqa: PLC0415 - a cycle

        wanted = sorted(set(hashes))
        found: dict[str, list[LoggedDecision]] = {}
        columns = ", ".join(f"d.{c.strip()}" for c in _COLUMNS.split(","))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            sql = (
                f"SELECT l.reference_hash, {columns} FROM detainer_links l "  # noqa: S608
                "JOIN decisions d ON d.decision_id = l.decision_id "
                f"WHERE l.reference_hash IN ({','.join('?' * len(chunk))}) "
                "ORDER BY d.timestamp, d.decision_id"
            )
            for row in self._query(sql, tuple(chunk)):
                found.setdefault(row[0], []).append(_decision(row[1:]))
        return found

    def register_count(self) -> tuple[int, int]:
        """How many detainers (distinct references) and receipts the register holds."""
        rows = self._query(
            "SELECT count(DISTINCT reference_hash), count(*) FROM detainer_receipts", ()
        )
        return int(rows[0][0]), int(rows[0][1])

    def rekey(self, current: RegisterKey, new: RegisterKey) -> int:
        """Wrap every stored hash under ``new`` in one transaction; return the hashes re-keyed.

        The register must be keyed with ``current``; afterwards it is keyed with
        ``current.extended(new)``.
        """
        self.bind_register_key(current)
        chain = current.extended(new)
        hashes = {
            row[0]
            for table in ("detainer_receipts", "detainer_links")
            for row in self._query(f"SELECT DISTINCT reference_hash FROM {table}", ())  # noqa: S608
        }
        pairs = [(new.wrap(h), h) for h in sorted(hashes)]
        now = datetime.now(UTC).isoformat()
        self._write(
            [
                ("UPDATE detainer_receipts SET reference_hash = ? WHERE reference_hash = ?", pairs),
                ("UPDATE detainer_links SET reference_hash = ? WHERE reference_hash = ?", pairs),
                (
                    "UPDATE register_key SET fingerprint = ?, keyed_at = ? WHERE id = 1",
                    [(chain.fingerprint, now)],
                ),
            ]
        )
        return len(pairs)
