"""Decision-log collection: OPA agents upload their decision logs here, and nothing is lost.

OPA's decision-log plugin POSTs gzip-compressed JSON arrays of events to
``<service url>/logs`` and keeps (and retries) every batch until it gets a 2xx answer.
The collector answers 2xx only after the batch is committed to SQLite (WAL, synchronous
FULL), keyed by agent and ``decision_id`` so a repeated upload stores nothing twice and no
agent can pre-empt another's record. Each agent authenticates with its own bearer token
(its name is the ``department`` label its events carry: an upload labelled as another
agent is refused); the token is compared in constant time and never logged. The agent's
``system.log.mask`` policy removes personal fields; the collector
projects the input onto the same allow-list again, so a misconfigured agent still cannot
put an immigration status, a name or a case number into the store.

The collector keeps the detainer register (:mod:`trustpolicy.record._register`): a logged
detainer reference is stored only as its keyed hash, so the collector needs the City's
register key (``$TRUSTPOLICY_REGISTER_KEY_FILE`` or ``$TRUSTPOLICY_REGISTER_KEY``) and
refuses to start without it, or with a key other than the one the register was keyed with.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import zlib
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from aiohttp import web

from trustpolicy.bundles._http_guard import (
    ConnectionLimits,
    GuardedSite,
    RateLimitedWarning,
    bearer_token,
    middleware,
    read_body,
    runner_options,
)
from trustpolicy.contract._errors import CollectorError, ConfigError
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._store import DecisionStore, _parse_time

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from types import TracebackType
    from typing import Self

__all__ = ["Collector", "collector_app"]

_log = logging.getLogger("trustpolicy.collector")

#: An upload as sent (OPA sends chunks of at most 32 KiB by default) and once inflated.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_INFLATED_BYTES = 16 * 1024 * 1024
_MAX_STATUS_BYTES = 1024 * 1024
_MIN_TOKEN = 16
_INFLATE_CHUNK = 256 * 1024


class _TooLarge(ValueError):
    pass


def _inflate(body: bytes, cap: int = MAX_INFLATED_BYTES) -> bytes:
    """Inflate a gzip body in bounded steps; raise :class:`_TooLarge` past ``cap`` bytes."""
    inflater = zlib.decompressobj(wbits=31)
    out: list[bytes] = []
    size = 0
    data = body
    while data:
        chunk = inflater.decompress(data, _INFLATE_CHUNK)
        size += len(chunk)
        if size > cap:
            raise _TooLarge(f"the upload inflates past {cap} bytes")
        out.append(chunk)
        data = inflater.unconsumed_tail
        if inflater.eof and inflater.unused_data:  # a further gzip member
            data, inflater = inflater.unused_data, zlib.decompressobj(wbits=31)
    if not inflater.eof:
        raise ValueError("truncated gzip stream")
    return b"".join(out)


def _events(body: bytes) -> list[dict[str, Any]]:
    """Decode the events of an upload body (gzip or plain JSON array); raise if malformed."""
    if body[:2] == b"\x1f\x8b":
        body = _inflate(body)
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


def _claimed_agents(events: list[dict[str, Any]]) -> set[str]:
    """The agents the events name in their ``department`` label (set by agent_config)."""
    claimed = set()
    for event in events:
        labels = event.get("labels")
        if isinstance(labels, dict) and "department" in labels:
            claimed.add(str(labels["department"]))
    return claimed


_STORE: web.AppKey[DecisionStore] = web.AppKey("store", DecisionStore)
_TOKENS: web.AppKey[dict[str, bytes]] = web.AppKey("tokens", dict)
_KEY: web.AppKey[RegisterKey] = web.AppKey("register_key", RegisterKey)


_REFUSALS: web.AppKey[RateLimitedWarning] = web.AppKey("refusals", RateLimitedWarning)
_LIMITS: web.AppKey[ConnectionLimits] = web.AppKey("limits", ConnectionLimits)


def _agent(request: web.Request) -> str:
    """Name the agent whose token the request carries; 401 otherwise (constant time).

    The 401 is sent before the body is read, and the connection is closed after it
    (no lingering read of a body nobody authenticated).
    """
    given = bearer_token(request) or b""
    found = ""
    for agent, expected in request.app[_TOKENS].items():
        if hmac.compare_digest(given, expected) and given:
            found = agent
    if not found:
        request.app[_REFUSALS].warn("refused a request from %s: bad or no token", request.remote)
        raise web.HTTPUnauthorized(
            text="a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer", "Connection": "close"},
        )
    return found


async def _body(request: web.Request, cap: int) -> bytes:
    """The body as sent, within the body timeout and ``cap`` (inflated later, bounded)."""
    return await read_body(request, request.app[_LIMITS], cap)


async def _upload(request: web.Request) -> web.Response:
    agent = _agent(request)
    body = await _body(request, MAX_UPLOAD_BYTES)
    try:
        events = await asyncio.to_thread(_events, body)  # inflate and parse off the loop
    except _TooLarge as exc:
        _log.warning("agent %s sent a decision-log upload that is too large: %s", agent, exc)
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_INFLATED_BYTES, actual_size=MAX_INFLATED_BYTES + 1, text=str(exc)
        ) from exc
    except (ValueError, TypeError, OSError, EOFError, zlib.error) as exc:
        _log.warning("agent %s sent a malformed decision-log upload: %s", agent, exc)
        raise web.HTTPBadRequest(text=f"malformed decision-log upload: {exc}") from exc
    claimed = _claimed_agents(events) - {agent}
    if claimed:
        # An agent's events name it (the department label agent_config writes); a token
        # uploading events labelled as another agent's is refused whole.
        _log.warning(
            "refused an upload from agent %s: its events are labelled as agent(s) %s",
            agent,
            ", ".join(sorted(claimed)),
        )
        raise web.HTTPForbidden(text="the events' department label does not match the token")
    try:
        # Answer only once the batch is committed: a failure here makes OPA retry it.
        store, key = request.app[_STORE], request.app[_KEY]
        result = await asyncio.to_thread(store.add, agent, events, register=key)
    except CollectorError as exc:
        _log.exception("decision logs from agent %s not stored", agent)
        raise web.HTTPServiceUnavailable(text="decision logs could not be stored") from exc
    except ConfigError as exc:  # the register was re-keyed under this running collector
        _log.error("decision logs from agent %s not stored: %s", agent, exc)
        raise web.HTTPServiceUnavailable(text="decision logs could not be stored") from exc
    return web.json_response(
        {
            "added": result.added,
            "duplicates": result.duplicates,
            "not_decisions": result.not_decisions,
        }
    )


async def _status(request: web.Request) -> web.Response:
    agent = _agent(request)
    body = await _body(request, _MAX_STATUS_BYTES)
    try:
        raw = _inflate(body, _MAX_STATUS_BYTES) if body[:2] == b"\x1f\x8b" else body
        status = json.loads(raw)
    except (ValueError, zlib.error) as exc:
        raise web.HTTPBadRequest(text=f"malformed status report: {exc}") from exc
    if not isinstance(status, dict):
        raise web.HTTPBadRequest(text="status report must be a JSON object")
    await asyncio.to_thread(request.app[_STORE].record_status, agent, status)
    return web.json_response({})


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({})


def collector_app(
    store: DecisionStore,
    tokens: Mapping[str, str],
    register_key: RegisterKey | None = None,
    *,
    limits: ConnectionLimits | None = None,
) -> web.Application:
    """Build the collector as an aiohttp app: ``POST /logs``, ``POST /status``, ``/health``.

    ``tokens`` maps each agent's name to its bearer token (at least 16 characters);
    ``register_key`` is the detainer register's key (default: from the environment), and
    ``store``'s register must be keyed with it. Run it with ``auto_decompress=False`` (as
    :class:`Collector` does): the collector inflates gzip bodies itself, in bounded steps.
    """
    if not tokens:
        raise ConfigError("the collector needs at least one agent token")
    for agent, token in tokens.items():
        if not agent or len(token) < _MIN_TOKEN or token != token.strip():
            raise ConfigError(f"agent {agent!r}: token must be at least {_MIN_TOKEN} characters")
    key = register_key if register_key is not None else RegisterKey.from_env()
    store.bind_register_key(key)
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[middleware])
    app[_STORE] = store
    app[_KEY] = key
    app[_LIMITS] = limits or ConnectionLimits()
    app[_REFUSALS] = RateLimitedWarning(_log)
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
        register_key: RegisterKey | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.limits = limits or ConnectionLimits()
        self._owns_store = not isinstance(database, DecisionStore)
        self._database = database
        self._tokens = dict(tokens)
        self._register_key = register_key
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
        key = self._register_key if self._register_key is not None else RegisterKey.from_env()
        db = self._database
        self._store = db if isinstance(db, DecisionStore) else DecisionStore(db)
        try:
            app = collector_app(self._store, self._tokens, key, limits=self.limits)
        except (ConfigError, CollectorError):
            self._cleanup()
            raise
        loop = asyncio.new_event_loop()
        ready: Future[int] = Future()
        runner = self._runner = web.AppRunner(
            app, shutdown_timeout=5.0, auto_decompress=False, **runner_options(self.limits)
        )

        async def serve() -> int:
            await runner.setup()
            await GuardedSite(runner, self.host, self.port, self.limits).start()
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
