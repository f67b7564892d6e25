"""The decision store: decisions keyed by agent and ``decision_id``, in SQLite or PostgreSQL.

Every decision of an upload is its own row (a batch query is one row per request, see
:mod:`trustpolicy.record._events`); a query that decides nothing is not stored. The store
builds the rows; a backend (:mod:`._sqlite`, :mod:`._postgres`, behind the interface of
:mod:`._backend`) holds the SQL. Each upload is committed in one transaction with ``ON
CONFLICT DO NOTHING`` on (agent, decision ID), so a repeated upload, to this collector or
to another on the same database, stores nothing twice, and one agent can never pre-empt
another's record by uploading first under its decision ID; every such clash, and every
repeat whose content differs from the stored record, is logged. Inputs and results are
reduced to the allow-list before they are written (a malformed request keeps no free
text); only the count of stripped values is logged, never the values.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from trustpolicy.contract._errors import ConfigError
from trustpolicy.record._backend import parse_store_url, resolve_password
from trustpolicy.record._events import DecisionEvent, decision_events
from trustpolicy.record._masking import (
    _project_result,
    is_malformed,
    project_error,
    project_input,
    project_labels,
)
from trustpolicy.record._register import receipt_from_decision
from trustpolicy.record._sqlite import SQLiteBackend
from trustpolicy.record._store_register import RegisterTables, receipt_row

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Self

    from trustpolicy.record._backend import (
        DecisionRow,
        Migration,
        SchemaStatus,
        StoreBackend,
        StoredRow,
    )
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


class DecisionStore(RegisterTables):
    """Decisions, one row per ``decision_id``, and the detainer register; SQLite or PostgreSQL.

    ``database`` is a path or ``sqlite:///path`` (the embedded default: opening it creates
    or migrates the file), or ``postgresql://user@host:port/db`` (the schema must be
    current: ``trustpolicy db migrate``; ``migrate=True`` applies it here instead, and
    ``migrate=False`` opens either backend as it is, checking nothing). The
    PostgreSQL password is ``password``, else ``TRUSTPOLICY_DB_PASSWORD``, else libpq's
    ``PGPASSWORD`` or ``~/.pgpass``; a URL that carries one is refused.
    """

    def __init__(
        self,
        database: str | os.PathLike[str],
        *,
        password: str | None = None,
        migrate: bool | None = None,
        pool_size: int = 8,
    ) -> None:
        parsed = parse_store_url(database)
        self.path: Path | None = parsed.path
        self._backend: StoreBackend
        if parsed.path is not None:
            self._backend = SQLiteBackend(parsed.path, migrate=migrate is not False)
        else:
            try:
                from trustpolicy.record._postgres import PostgresBackend  # noqa: PLC0415
            except ImportError as exc:  # psycopg is the postgresql extra
                raise ConfigError(
                    "--db: a PostgreSQL store needs psycopg: pip install 'trustpolicy[postgresql]'"
                ) from exc

            self._backend = PostgresBackend(
                parsed,
                password=resolve_password(password),
                migrate=migrate,
                pool_size=pool_size,
            )
        self.url = self._backend.url

    def add(
        self, agent: str, events: list[dict[str, Any]], *, register: RegisterKey | None = None
    ) -> StoreResult:
        """Store the decisions of a batch of OPA events in one transaction; known IDs skipped.

        With ``register`` (the register key) a decision naming a detainer is linked to it by
        the keyed hash of its reference, and a ``receive_detainer`` decision records a
        receipt; without it the reference is stripped like any value outside the allow-list.
        """
        received = datetime.now(UTC)
        rows: list[DecisionRow] = []
        links: list[tuple[str, str]] = []
        receipts: list[tuple[Any, ...]] = []
        not_decisions = 0
        if register is not None:
            self.bind_register_key(register)
        for event in events:
            stamp = _parse_time(event["timestamp"])
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
                        receipt = receipt_from_decision(
                            decision.decision_id, stamp.isoformat(), kept, digest
                        )
                        receipts.append(receipt_row(receipt, received))
        _log_conflicts(self._backend.select_owners([r[0] for r in rows]), agent, rows)
        added = self._backend.insert_decisions(rows, links, receipts)
        return StoreResult(added=added, duplicates=len(rows) - added, not_decisions=not_decisions)

    @staticmethod
    def _row(  # noqa: PLR0917 - one private call site
        agent: str,
        received: datetime,
        stamp: datetime,
        event: dict[str, Any],
        found: DecisionEvent,
        register: RegisterKey | None,
    ) -> DecisionRow:
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
        lo = (since or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC)
        hi = (until or datetime(9999, 12, 31, tzinfo=UTC)).astimezone(UTC)
        return [_decision(row) for row in self._backend.select_decisions(lo, hi)]

    def count(self) -> int:
        """How many decisions are stored."""
        return self._backend.count_decisions()

    def record_status(self, agent: str, status: Mapping[str, Any]) -> None:
        """Keep the latest status report (OPA's status plugin) of ``agent``."""
        text = json.dumps(status, sort_keys=True)
        self._backend.upsert_status(agent, datetime.now(UTC), text)

    def agent_status(self) -> dict[str, dict[str, Any]]:
        """Return the latest status report of each agent that sent one."""
        return {agent: json.loads(text) for agent, text in self._backend.select_statuses()}

    def schema_status(self) -> SchemaStatus:
        """Which schema migrations the database has, and which it lacks."""
        return self._backend.schema_status()

    def migrate(self) -> list[Migration]:
        """Apply the pending schema migrations; return those applied (none if current)."""
        return self._backend.migrate()

    def close(self) -> None:
        """Close the database."""
        self._backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DecisionStore({self.url!r})"


def _reference_hash(raw: Any, register: RegisterKey | None) -> str | None:
    """The keyed hash of the detainer reference a decision input names, if any and keyed."""
    detainer = raw.get("detainer") if isinstance(raw, dict) else None
    reference = detainer.get("reference") if isinstance(detainer, dict) else None
    if register is None or not isinstance(reference, str) or not reference.strip():
        return None
    return register.digest(reference)


def _log_conflicts(
    stored: list[tuple[str, str, str, str | None]], agent: str, rows: list[DecisionRow]
) -> None:
    """Log each row whose decision id another agent logged, or that differs from its repeat."""
    new = {row[0]: row for row in rows}
    for decision_id, owner, data, result in stored:
        if owner != agent:
            _log.warning(
                "decision id %s from agent %s was already logged by agent %s: both kept, "
                "each under its own agent (an agent may be replaying another's ids)",
                decision_id,
                agent,
                owner,
            )
        elif decision_id in new and (json.loads(data), json.loads(result or "null")) != (
            json.loads(new[decision_id][5]),
            json.loads(new[decision_id][6]),
        ):
            _log.warning(
                "agent %s re-sent decision %s with different content: the first is kept",
                agent,
                decision_id,
            )


def _decision(row: StoredRow) -> LoggedDecision:
    decision_id, agent, stamp, path, data, result, bundles, labels, error = row
    return LoggedDecision(
        decision_id=decision_id,
        agent=agent,
        timestamp=stamp,
        path=path,
        input=json.loads(data),
        result=json.loads(result),
        bundles=json.loads(bundles),
        labels=json.loads(labels),
        error=error,
    )
