"""The decision store: decisions in SQLite, keyed by agent and ``decision_id``.

Every decision of an upload is its own row (a batch query is one row per request, see
:mod:`trustpolicy.record._events`); a query that decides nothing is not stored. Each upload
is committed in one transaction (WAL, synchronous FULL), so a repeated upload
stores nothing twice. Records are keyed on (agent, decision id): one agent can never
pre-empt another's record by uploading first under its decision id, and every such clash
(and every repeat whose content differs from the stored record) is logged. Inputs and
results are reduced to the allow-list before they are written (a malformed request keeps
no free text); only the count of stripped values is logged, never the values.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from trustpolicy.contract._errors import CollectorError
from trustpolicy.record._events import DecisionEvent, decision_events
from trustpolicy.record._masking import (
    _project_result,
    is_malformed,
    project_error,
    project_input,
    project_labels,
)
from trustpolicy.record._register import receipt_from_decision
from trustpolicy.record._store_register import (
    _INSERT_LINK,
    _INSERT_RECEIPT,
    REGISTER_SCHEMA,
    RegisterTables,
    receipt_row,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Self

    from trustpolicy.record._register_key import RegisterKey

__all__ = ["DecisionStore", "LoggedDecision", "StoreResult"]

_log = logging.getLogger("trustpolicy.collector")

_FRACTION = re.compile(r"(\.\d{6})\d+")


def _parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp from OPA (nanoseconds allowed) to an aware UTC time."""
    stamp = datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    if stamp.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text}")
    return stamp.astimezone(UTC)


def _count_leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_leaves(v) for v in value)
    return 1


@attrs.frozen
class StoreResult:
    """What one upload did: decisions newly stored, decisions already there, other queries."""

    added: int
    duplicates: int
    not_decisions: int = 0


@attrs.frozen
class LoggedDecision:
    """One stored decision-log event: the masked input, the decision's rules, provenance."""

    decision_id: str
    agent: str
    timestamp: datetime
    path: str
    input: Mapping[str, Any]
    result: Mapping[str, Any] | None
    bundles: Mapping[str, Any]
    labels: Mapping[str, Any]
    error: str | None = None

    @property
    def outcome(self) -> str | None:
        """``allow``, ``deny`` or ``escalate``; ``None`` if the engine gave no decision."""
        return None if self.result is None else self.result.get("outcome")

    def rules(self, kind: str) -> tuple[str, ...]:
        """Return the rule IDs listed under ``kind`` (``violations``, ``exceptions``, ...)."""
        entries = (self.result or {}).get(kind, [])
        return tuple(str(e["rule"]) for e in entries if "rule" in e)

    @property
    def revision(self) -> str | None:
        """The policy revision the decision names, else the first bundle's revision."""
        policy = (self.result or {}).get("policy", {})
        if policy.get("revision"):
            return str(policy["revision"])
        revisions = [str(b["revision"]) for b in self.bundles.values() if b.get("revision")]
        return revisions[0] if revisions else None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
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
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (timestamp);
CREATE INDEX IF NOT EXISTS decisions_by_id ON decisions (decision_id);
CREATE TABLE IF NOT EXISTS agent_status (
    agent TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL
);
"""
_COLUMNS = "decision_id, agent, timestamp, path, input, result, bundles, labels, error"


class DecisionStore(RegisterTables):
    """Decisions in SQLite (WAL), one row per ``decision_id``, and the detainer register."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _owner_only(self.path)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            _key_on_agent(self._db)
            self._db.executescript(_SCHEMA + REGISTER_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CollectorError(f"cannot open decision store {self.path}: {exc}") from exc

    def add(
        self, agent: str, events: list[dict[str, Any]], *, register: RegisterKey | None = None
    ) -> StoreResult:
        """Store the decisions of a batch of OPA events in one transaction; known IDs skipped.

        With ``register`` (the register key) a decision naming a detainer is linked to it by
        the keyed hash of its reference, and a ``receive_detainer`` decision records a
        receipt; without it the reference is stripped like any value outside the allow-list.
        """
        received = datetime.now(UTC).isoformat()
        rows, links, receipts = [], [], []
        not_decisions = 0
        if register is not None:
            self.bind_register_key(register)
        for event in events:
            stamp = _parse_time(event["timestamp"]).isoformat()
            found = decision_events(event)
            not_decisions += not found
            for decision in found:
                row = self._row(agent, received, stamp, event, decision, register)
                rows.append(row)
                digest = _reference_hash(decision.input, register)
                if digest is not None:
                    links.append((decision.decision_id, digest))
                    kept = json.loads(row[5])
                    if kept.get("action") == "receive_detainer":
                        receipt = receipt_from_decision(decision.decision_id, stamp, kept, digest)
                        receipts.append(receipt_row(receipt, received))
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                _log_conflicts(self._db, agent, rows)
                self._db.executemany(
                    "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (agent, decision_id) DO NOTHING",
                    rows,
                )
                added = self._db.total_changes - before
                self._db.executemany(_INSERT_LINK, links)
                self._db.executemany(_INSERT_RECEIPT, receipts)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise CollectorError(f"cannot store decision logs in {self.path}: {exc}") from exc
        return StoreResult(added=added, duplicates=len(rows) - added, not_decisions=not_decisions)

    @staticmethod
    def _row(  # noqa: PLR0917 - one private call site
        agent: str,
        received: str,
        stamp: str,
        event: dict[str, Any],
        found: DecisionEvent,
        register: RegisterKey | None,
    ) -> tuple[Any, ...]:
        decision_id, raw_input = found.decision_id, found.input
        kept = project_input(raw_input)
        detainer = kept.get("detainer")
        if isinstance(detainer, dict):
            # Never stored in clear: the register keeps only its keyed hash (with a key).
            detainer.pop("reference", None)
        stripped = _count_leaves(raw_input) - _count_leaves(kept) if raw_input else 0
        if register is not None and _reference_hash(raw_input, register) is not None:
            stripped -= 1  # the reference is kept, as a keyed hash in the register
        if is_malformed(found.result):
            # A malformed request keeps no free text (agency, district, statute): it is
            # what an attacker would send. That is policy, not a mask failure: not counted.
            kept = project_input(raw_input, free_text=False)
        if stripped:
            # Counts only: the stripped values themselves must never reach a log either.
            _log.warning(
                "agent %s logged %d unmasked value(s) in decision %s; stripped before storing",
                agent,
                stripped,
                decision_id,
            )
        error = project_error(found.error)
        return (
            decision_id,
            agent,
            stamp,
            received,
            found.path,
            json.dumps(kept, sort_keys=True),
            json.dumps(_project_result(found.result), sort_keys=True),
            json.dumps(event.get("bundles") or {}, sort_keys=True),
            json.dumps(project_labels(event.get("labels")), sort_keys=True),
            None if error is None else json.dumps(error, sort_keys=True),
            stripped,
        )

    def decisions(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[LoggedDecision]:
        """Return the stored decisions with ``since <= timestamp < until``, oldest first."""
        lo = (since or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat()
        hi = (until or datetime(9999, 12, 31, tzinfo=UTC)).astimezone(UTC).isoformat()
        sql = (
            f"SELECT {_COLUMNS} FROM decisions WHERE timestamp >= ? AND timestamp < ? "  # noqa: S608
            "ORDER BY timestamp, decision_id"
        )
        return [_decision(row) for row in self._query(sql, (lo, hi))]

    def count(self) -> int:
        """How many decisions are stored."""
        return int(self._query("SELECT count(*) FROM decisions", ())[0][0])

    def record_status(self, agent: str, status: Mapping[str, Any]) -> None:
        """Keep the latest status report (OPA's status plugin) of ``agent``."""
        now = datetime.now(UTC).isoformat()
        text = json.dumps(status, sort_keys=True)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO agent_status VALUES (?,?,?) ON CONFLICT (agent) "
                    "DO UPDATE SET received_at = excluded.received_at, status = excluded.status",
                    (agent, now, text),
                )
            except sqlite3.Error as exc:
                raise CollectorError(f"cannot store agent status in {self.path}: {exc}") from exc

    def agent_status(self) -> dict[str, dict[str, Any]]:
        """Return the latest status report of each agent that sent one."""
        rows = self._query("SELECT agent, status FROM agent_status ORDER BY agent", ())
        return {agent: json.loads(text) for agent, text in rows}

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise CollectorError(f"cannot read decision store {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _reference_hash(raw: Any, register: RegisterKey | None) -> str | None:
    """The keyed hash of the detainer reference a decision input names, if any and keyed."""
    detainer = raw.get("detainer") if isinstance(raw, dict) else None
    reference = detainer.get("reference") if isinstance(detainer, dict) else None
    if register is None or not isinstance(reference, str) or not reference.strip():
        return None
    return register.digest(reference)


def _owner_only(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.chmod(0o600)


_OLD_KEY = "decision_id TEXT PRIMARY KEY"
_CHUNK = 500


def _key_on_agent(db: sqlite3.Connection) -> None:
    """Re-key a store made before records were keyed on (agent, decision id)."""
    found = db.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions'").fetchone()
    if found is None or _OLD_KEY not in found[0]:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("ALTER TABLE decisions RENAME TO decisions_by_id_only")
        db.execute("DROP INDEX IF EXISTS decisions_by_time")
        for statement in filter(str.strip, _SCHEMA.split(";")):
            db.execute(statement)  # one by one: executescript would commit halfway
        db.execute("INSERT INTO decisions SELECT * FROM decisions_by_id_only")
        db.execute("DROP TABLE decisions_by_id_only")
        db.execute("COMMIT")
    except sqlite3.Error:
        db.execute("ROLLBACK")
        raise


def _log_conflicts(db: sqlite3.Connection, agent: str, rows: list[tuple[Any, ...]]) -> None:
    """Log each row whose decision id another agent logged, or that differs from its repeat."""
    new = {row[0]: row for row in rows}
    ids = list(new)
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(part))
        sql = f"SELECT decision_id, agent, input, result FROM decisions WHERE decision_id IN ({marks})"  # noqa: S608, E501
        for decision_id, owner, data, result in db.execute(sql, part):
            if owner != agent:
                _log.warning(
                    "decision id %s from agent %s was already logged by agent %s: both kept, "
                    "each under its own agent (an agent may be replaying another's ids)",
                    decision_id,
                    agent,
                    owner,
                )
            elif (data, result) != (new[decision_id][5], new[decision_id][6]):
                _log.warning(
                    "agent %s re-sent decision %s with different content: the first is kept",
                    agent,
                    decision_id,
                )


def _decision(row: tuple[Any, ...]) -> LoggedDecision:
    decision_id, agent, stamp, path, data, result, bundles, labels, error = row
    return LoggedDecision(
        decision_id=decision_id,
        agent=agent,
        timestamp=datetime.fromisoformat(stamp),
        path=path,
        input=json.loads(data),
        result=json.loads(result),
        bundles=json.loads(bundles),
        labels=json.loads(labels),
        error=error,
    )
