"""Decision-log collection: OPA agents upload their decision logs here, and nothing is lost.

OPA's decision-log plugin POSTs gzip-compressed JSON arrays of events to
``<service url>/logs`` and keeps (and retries) every batch until it gets a 2xx answer.
The collector answers 2xx only after the batch is committed to SQLite (WAL, synchronous
FULL), keyed by ``decision_id`` so a repeated upload stores nothing twice. Each agent
authenticates with its own bearer token; the token is compared in constant time and never
logged. The agent's ``system.log.mask`` policy removes personal fields; the collector
projects the input onto the same allow-list again, so a misconfigured agent still cannot
put an immigration status, a name or a case number into the store.
"""

from __future__ import annotations

import asyncio
import gzip
import hmac
import json
import logging
import re
import sqlite3
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from trustpolicy._errors import CollectorError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType
    from typing import Self

__all__ = ["Collector", "DecisionStore", "LoggedDecision", "StoreResult", "collector_app"]

_log = logging.getLogger("trustpolicy.collector")

_AGENCIES = frozenset(
    {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS"}
    | {"STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
)
_INFORMATION = frozenset(
    {"name", "date_of_birth", "home_address", "work_address", "phone", "physical_description"}
    | {"photo", "incident_report", "release_date", "custody_status", "immigration_status"}
    | {"citizenship", "criminal_history", "aggregate_statistics"}
)
# The same allow-list as policies/system/log/mask.rego: a frozenset is an enumeration,
# str/bool a type, a dict a nested object, a one-element list a list of that element.
_KEPT_FIELDS: dict[str, Any] = {
    "action": frozenset(
        {"inquire_status", "detain", "arrest", "transfer_custody", "share_information"}
        | {"commit_resources", "perform_immigration_function", "join_operation"}
        | {"receive_detainer"}
    ),
    "actor": {
        "agency": str,
        "role": frozenset({"police_officer", "city_employee"}),
        "district": str,
    },
    "subject": {
        "role": frozenset(
            {"suspect", "arrestee", "victim", "witness", "caller", "worker", "other"}
        ),
        "in_custody": bool,
        "eligible_for_release": bool,
    },
    "counterpart": {"agency": _AGENCIES, "forwards_to": [_AGENCIES]},
    "authority": [
        {
            "type": frozenset(
                {"civil_detainer", "ice_administrative_warrant", "removal_order"}
                | {"judicial_criminal_warrant", "judicial_order", "state_criminal_warrant"}
                | {"criminal_probable_cause"}
            ),
            "issued_by": frozenset(
                {"federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer"}
            ),
        }
    ],
    "purpose": frozenset(
        {"civil_immigration_enforcement", "criminal_investigation", "visa_certification"}
        | {"criminal_history_check", "public_safety", "statistics", "benefit_eligibility", "other"}
    ),
    "criminal_case": {
        "category": frozenset(
            {"human_trafficking", "narcotics", "weapons", "cybercrime", "financial"}
            | {"document_fraud", "gang", "child_exploitation", "illegal_reentry", "other"}
        )
    },
    "information": [_INFORMATION],
    "operation": {
        "primary_purpose": frozenset(
            {"immigration_enforcement", "criminal_enforcement", "public_safety"}
        ),
        "partner": _AGENCIES,
    },
}
_RESULT_LISTS = ("violations", "exceptions", "escalations", "obligations")
_RESULT_ENTRY_KEYS = ("rule", "title", "citation", "confidence", "lifts", "lifted")
_OUTCOMES = frozenset({"allow", "deny", "escalate"})
_MAX_BODY = 64 * 1024 * 1024
_FRACTION = re.compile(r"(\.\d{6})\d+")
_MIN_TOKEN = 16


def _leaf(spec: Any, value: Any) -> bool:
    if isinstance(spec, frozenset):
        return isinstance(value, str) and value in spec
    if spec is bool:
        return isinstance(value, bool)
    return spec is str and isinstance(value, str)


def _project(spec: Any, value: Any) -> Any:
    """``value`` reduced to ``spec``, or ``None`` when nothing of it may be kept."""
    if _leaf(spec, value):
        return value
    if isinstance(spec, dict) and isinstance(value, dict):
        return {k: v for k, raw in value.items() if (v := _project(spec.get(k), raw)) is not None}
    if isinstance(spec, list) and isinstance(value, list):
        items = (_project(spec[0], item) for item in value)
        return [item for item in items if item is not None]
    return None


def project_input(raw: Any) -> dict[str, Any]:
    """Return the reportable projection of a decision input, as the mask policy does."""
    kept = _project(_KEPT_FIELDS, raw)
    return kept if isinstance(kept, dict) else {}


def _project_result(raw: Any) -> dict[str, Any] | None:
    """Outcome, rule IDs and citations of a decision; messages and anything else dropped."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {}
    if raw.get("outcome") in _OUTCOMES:
        out["outcome"] = raw["outcome"]
    if isinstance(raw.get("allowed"), bool):
        out["allowed"] = raw["allowed"]
    for kind in _RESULT_LISTS:
        entries = raw.get(kind)
        if isinstance(entries, list):
            out[kind] = [_result_entry(e) for e in entries if isinstance(e, dict)]
    policy = raw.get("policy")
    if isinstance(policy, dict) and isinstance(policy.get("revision"), str):
        out["policy"] = {"revision": policy["revision"]}
    return out


def _result_entry(entry: dict[str, Any]) -> dict[str, Any]:
    def plain(v: Any) -> bool:
        strings = isinstance(v, list) and all(isinstance(x, str) for x in v)
        return isinstance(v, (str, bool)) or strings

    return {k: entry[k] for k in _RESULT_ENTRY_KEYS if k in entry and plain(entry[k])}


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
    """What one upload did: events newly stored, and events already there."""

    added: int
    duplicates: int


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
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (timestamp);
CREATE TABLE IF NOT EXISTS agent_status (
    agent TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL
);
"""
_COLUMNS = "decision_id, agent, timestamp, path, input, result, bundles, labels, error"


class DecisionStore:
    """Decision-log events in SQLite (WAL), one row per ``decision_id``; thread-safe."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CollectorError(f"cannot open decision store {self.path}: {exc}") from exc

    def add(self, agent: str, events: list[dict[str, Any]]) -> StoreResult:
        """Store a batch of OPA events in one transaction; known decision IDs are skipped."""
        received = datetime.now(UTC).isoformat()
        rows = [self._row(agent, received, event) for event in events]
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (decision_id) DO NOTHING",
                    rows,
                )
                self._db.execute("COMMIT")
                added = self._db.total_changes - before
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise CollectorError(f"cannot store decision logs in {self.path}: {exc}") from exc
        return StoreResult(added=added, duplicates=len(rows) - added)

    @staticmethod
    def _row(agent: str, received: str, event: dict[str, Any]) -> tuple[Any, ...]:
        decision_id = event["decision_id"]
        raw_input = event.get("input", {})
        kept = project_input(raw_input)
        stripped = _count_leaves(raw_input) - _count_leaves(kept) if raw_input else 0
        if stripped:
            # Counts only: the stripped values themselves must never reach a log either.
            _log.warning(
                "agent %s logged %d unmasked value(s) in decision %s; stripped before storing",
                agent,
                stripped,
                decision_id,
            )
        error = event.get("error")
        return (
            decision_id,
            agent,
            _parse_time(event["timestamp"]).isoformat(),
            received,
            str(event.get("path", "")),
            json.dumps(kept, sort_keys=True),
            json.dumps(_project_result(event.get("result")), sort_keys=True),
            json.dumps(event.get("bundles") or {}, sort_keys=True),
            json.dumps(event.get("labels") or {}, sort_keys=True),
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


def _events(body: bytes) -> list[dict[str, Any]]:
    """Decode the events of an upload body (gzip or plain JSON array); raise if malformed."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    events = json.loads(body)
    if not isinstance(events, list):
        raise TypeError("body must be a JSON array of decision-log events")
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise TypeError(f"event {i} is not an object")
        if not isinstance(event.get("decision_id"), str) or not event["decision_id"]:
            raise TypeError(f"event {i} has no decision_id")
        if not isinstance(event.get("timestamp"), str):
            raise TypeError(f"event {i} has no timestamp")
        _parse_time(event["timestamp"])
    return events


_STORE: web.AppKey[DecisionStore] = web.AppKey("store", DecisionStore)
_TOKENS: web.AppKey[dict[str, bytes]] = web.AppKey("tokens", dict)


def _agent(request: web.Request) -> str:
    """Name the agent whose token the request carries; 401 otherwise (constant time)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    given = token.strip().encode()
    found = ""
    for agent, expected in request.app[_TOKENS].items():
        if hmac.compare_digest(given, expected) and scheme.lower() == "bearer":
            found = agent
    if not found:
        raise web.HTTPUnauthorized(
            text="a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return found


async def _upload(request: web.Request) -> web.Response:
    agent = _agent(request)
    try:
        events = _events(await request.read())
    except (ValueError, TypeError, OSError, EOFError) as exc:
        _log.warning("agent %s sent a malformed decision-log upload: %s", agent, exc)
        raise web.HTTPBadRequest(text=f"malformed decision-log upload: {exc}") from exc
    try:
        # Answer only once the batch is committed: a failure here makes OPA retry it.
        result = await asyncio.to_thread(request.app[_STORE].add, agent, events)
    except CollectorError as exc:
        _log.exception("decision logs from agent %s not stored", agent)
        raise web.HTTPServiceUnavailable(text="decision logs could not be stored") from exc
    return web.json_response({"added": result.added, "duplicates": result.duplicates})


async def _status(request: web.Request) -> web.Response:
    agent = _agent(request)
    try:
        status = json.loads(await request.read())
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"malformed status report: {exc}") from exc
    if not isinstance(status, dict):
        raise web.HTTPBadRequest(text="status report must be a JSON object")
    await asyncio.to_thread(request.app[_STORE].record_status, agent, status)
    return web.json_response({})


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({})


def collector_app(store: DecisionStore, tokens: Mapping[str, str]) -> web.Application:
    """Build the collector as an aiohttp app: ``POST /logs``, ``POST /status``, ``/health``.

    ``tokens`` maps each agent's name to its bearer token (at least 16 characters).
    """
    if not tokens:
        raise ConfigError("the collector needs at least one agent token")
    for agent, token in tokens.items():
        if not agent or len(token) < _MIN_TOKEN or token != token.strip():
            raise ConfigError(f"agent {agent!r}: token must be at least {_MIN_TOKEN} characters")
    app = web.Application(client_max_size=_MAX_BODY)
    app[_STORE] = store
    app[_TOKENS] = {agent: token.encode() for agent, token in tokens.items()}
    app.router.add_post("/logs", _upload)
    app.router.add_post("/logs/{partition}", _upload)
    app.router.add_post("/status", _status)
    app.router.add_post("/status/{partition}", _status)
    app.router.add_get("/health", _health)
    return app


class Collector:
    """The collector on a loopback (or given) port, served from a background thread."""

    def __init__(
        self,
        database: str | Path | DecisionStore,
        tokens: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._owns_store = not isinstance(database, DecisionStore)
        self._database = database
        self._tokens = dict(tokens)
        self.host = host
        self.port = port
        self._store: DecisionStore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to put in OPA's ``services`` entry."""
        return f"http://{self.host}:{self.port}"

    @property
    def store(self) -> DecisionStore:
        """The store this collector writes to (open while the collector runs)."""
        if self._store is None:
            raise CollectorError("the collector is not running")
        return self._store

    def start(self) -> Self:
        """Open the store, bind the port and serve until :meth:`stop`."""
        if self._thread is not None:
            raise CollectorError("the collector is already running")
        db = self._database
        self._store = db if isinstance(db, DecisionStore) else DecisionStore(db)
        app = collector_app(self._store, self._tokens)
        loop = asyncio.new_event_loop()
        ready: Future[int] = Future()
        runner = self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)

        async def serve() -> int:
            await runner.setup()
            await web.TCPSite(runner, self.host, self.port).start()
            return int(runner.addresses[0][1])

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                ready.set_result(loop.run_until_complete(serve()))
            except OSError as exc:
                loop.run_until_complete(runner.cleanup())
                ready.set_exception(exc)
                return
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="trustpolicy-collector", daemon=True)
        self._thread.start()
        try:
            self.port = ready.result(30)
        except OSError as exc:
            self._thread.join()
            self._cleanup()
            raise CollectorError(f"collector could not listen on {self.url}: {exc}") from exc
        return self

    def stop(self) -> None:
        """Finish in-flight uploads, release the port and close the store."""
        loop, runner, thread = self._loop, self._runner, self._thread
        if loop is None or runner is None or thread is None:
            return
        if thread.is_alive():
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._loop is not None and not self._loop.is_running():
            self._loop.close()
        if self._owns_store and self._store is not None:
            self._store.close()
        self._store = self._loop = self._runner = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Collector(url={self.url!r}, running={self._thread is not None})"
