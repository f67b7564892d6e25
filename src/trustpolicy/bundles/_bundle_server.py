"""A bundle server for departmental OPA agents, on aiohttp.

It speaks OPA's bundle protocol: ``GET /bundles/<name>`` answers with the bundle, an
``ETag`` and OPA's content type ``application/vnd.openpolicyagent.bundles``; a matching
``If-None-Match`` gets ``304``. When the agent asks to long-poll (``Prefer: wait=N``) and
already has the current revision, the answer waits until a new revision is published or
``N`` seconds pass. Every bundle request needs a bearer token issued to one agent; tokens
are compared in constant time and never logged. Publishing swaps the whole bundle at once,
so an agent never sees half a revision.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from aiohttp import web

from trustpolicy.bundles._bundle import parse_bundle
from trustpolicy.bundles._http_guard import (
    ConnectionLimits,
    GuardedSite,
    RateLimitedWarning,
    bearer_token,
    middleware,
    runner_options,
)
from trustpolicy.contract._errors import BundleError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Self

__all__ = [
    "BUNDLE_CONTENT_TYPE",
    "BundleServer",
    "PublishedBundle",
    "load_tokens",
]

#: The content type OPA sends and expects for bundles; it also tells OPA that the server
#: supports long polling.
BUNDLE_CONTENT_TYPE = "application/vnd.openpolicyagent.bundles"
DEFAULT_BUNDLE = "trustpolicy.tar.gz"
TOKENS_ENV = "TRUSTPOLICY_BUNDLE_TOKENS"
_LOG = logging.getLogger("trustpolicy.bundle_server")
_LOOPBACK = "127.0.0.1"
_START_TIMEOUT = 15.0
#: The shortest agent token accepted (as the collector's): 128 bits of URL-safe text.
MIN_TOKEN_LENGTH = 16


@attrs.frozen
class PublishedBundle:
    """One published bundle revision: its bytes, ETag, manifest revision and size."""

    name: str
    data: bytes = attrs.field(repr=False)
    etag: str
    revision: str

    @property
    def size(self) -> int:
        """Size of the bundle file in bytes."""
        return len(self.data)


def load_tokens(path: Path | str | None = None, *, env: str = TOKENS_ENV) -> dict[str, str]:
    """Read agent tokens: lines ``<agent> <token>`` from ``path``, else ``$env``.

    In the environment variable, entries are ``agent=token`` separated by commas. Blank
    lines and ``#`` comments are skipped. Raises :class:`ConfigError` when none is found.
    """
    if path is not None:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read bundle server tokens {path}: {exc}") from exc
        pairs = [line.split(None, 1) for line in text.splitlines()]
        where = str(path)
    else:
        raw = os.environ.get(env, "")
        pairs = [item.strip().split("=", 1) for item in raw.split(",")]
        where = f"${env}"
    tokens: dict[str, str] = {}
    for number, pair in enumerate(pairs, start=1):
        if not pair or not pair[0].strip() or pair[0].lstrip().startswith("#"):
            continue
        if len(pair) != 2 or not pair[1].strip():  # noqa: PLR2004
            raise ConfigError(f"{where}: entry {number} is not '<agent> <token>'")
        tokens[pair[0].strip()] = pair[1].strip()
    if not tokens:
        raise ConfigError(f"{where}: no agent tokens")
    return tokens


def _wait_seconds(prefer: str) -> float | None:
    """Return the ``wait=N`` preference of OPA's ``Prefer`` header, if any."""
    for item in prefer.replace(",", ";").split(";"):
        key, _, value = item.strip().partition("=")
        if key.strip().lower() == "wait":
            try:
                return max(0.0, float(value.strip()))
            except ValueError:
                return None
    return None


def _etag_matches(header: str, etag: str) -> bool:
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return etag in candidates or "*" in candidates


class BundleServer:
    """Serve signed bundles to OPA agents; run it in a thread or as an aiohttp app.

    ``tokens`` maps each agent's name to its bearer token (see :func:`load_tokens`).
    ``max_wait`` caps how long a long poll is held, whatever the agent asks for;
    ``limits`` bounds slow, idle and concurrent connections (one long poll per agent).
    """

    def __init__(
        self,
        tokens: Mapping[str, str],
        *,
        host: str = _LOOPBACK,
        port: int = 0,
        max_wait: float = 300.0,
        limits: ConnectionLimits | None = None,
    ) -> None:
        if not tokens:
            raise ConfigError("the bundle server needs at least one agent token")
        for agent, token in tokens.items():
            if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH:
                raise ConfigError(
                    f"agent {agent!r}: token must be at least {MIN_TOKEN_LENGTH} characters"
                )
        self._tokens = [(agent, token.encode()) for agent, token in tokens.items()]
        self.limits = limits or ConnectionLimits(max_connections=512)
        self._refusals = RateLimitedWarning(_LOG)
        self.host = host
        self.port = port
        self.max_wait = max_wait
        self._bundles: dict[str, PublishedBundle] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.requests: dict[str, int] = {}

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:8181``."""
        return f"http://{self.host}:{self.port}"

    # -- publishing ---------------------------------------------------------------------

    def publish(self, path: Path | str, *, name: str = DEFAULT_BUNDLE) -> PublishedBundle:
        """Publish the bundle file at ``path`` as ``name``, replacing the old one at once."""
        # Read once: the bytes served, their ETag and the revision all come from one read,
        # even if the file is replaced while publishing.
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise BundleError(f"cannot read bundle {path}: {exc}") from exc
        bundle = parse_bundle(data, Path(path))
        published = PublishedBundle(
            name=name,
            data=data,
            etag=f'"{hashlib.sha256(data).hexdigest()}"',
            revision=bundle.revision,
        )
        with self._lock:
            self._bundles[name] = published
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._notify)
        _LOG.info("published %s revision %s (%d bytes)", name, published.revision, published.size)
        return published

    def current(self, name: str = DEFAULT_BUNDLE) -> PublishedBundle | None:
        """Return the revision now served as ``name``, if any."""
        with self._lock:
            return self._bundles.get(name)

    def _notify(self) -> None:
        """Wake every long poll (runs on the server's loop)."""
        if self._changed is not None:
            self._changed.set()
        self._changed = asyncio.Event()

    # -- HTTP ---------------------------------------------------------------------------

    def create_app(self) -> web.Application:
        """Build the aiohttp application (``/bundles/{name}``, ``/health``)."""
        app = web.Application(middlewares=[middleware], client_max_size=1024)
        app.router.add_get("/bundles/{name:.+}", self._handle_bundle)
        app.router.add_get("/health", self._handle_health)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self._notify()  # release long polls so shutdown is quick

    async def _handle_health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def _agent(self, request: web.Request) -> str | None:
        supplied = bearer_token(request)
        if supplied is None:
            return None
        found = None
        for agent, token in self._tokens:  # no early exit: the same work for every token
            if hmac.compare_digest(supplied, token) and found is None:
                found = agent
        return found

    async def _handle_bundle(self, request: web.Request) -> web.StreamResponse:
        agent = self._agent(request)
        if agent is None:
            self._refusals.warn("refused bundle request from %s: bad or no token", request.remote)
            return web.json_response(
                {"code": "unauthorized", "message": "a valid bearer token is required"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="trustpolicy-bundles"'},
            )
        name = request.match_info["name"]
        self.requests[agent] = self.requests.get(agent, 0) + 1
        changed = self._changed
        published = self.current(name)
        if published is None:
            return web.json_response(
                {"code": "not_found", "message": f"no bundle {name}"}, status=404
            )
        wanted = request.headers.get("If-None-Match", "")
        if wanted and _etag_matches(wanted, published.etag):
            wait = _wait_seconds(request.headers.get("Prefer", ""))
            if wait and changed is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout=min(wait, self.max_wait))
                published = self.current(name) or published
            if _etag_matches(wanted, published.etag):
                return web.Response(
                    status=304,
                    headers={"ETag": published.etag, "Content-Type": BUNDLE_CONTENT_TYPE},
                )
        _LOG.info("serving %s revision %s to agent %s", name, published.revision, agent)
        return web.Response(
            body=published.data,
            headers={
                "ETag": published.etag,
                "Content-Type": BUNDLE_CONTENT_TYPE,
                "Cache-Control": "no-cache",
            },
        )

    # -- running in a thread --------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a background thread; returns once the port is bound."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        async def boot() -> None:
            runner = web.AppRunner(
                self.create_app(), shutdown_timeout=1.0, **runner_options(self.limits)
            )
            await runner.setup()
            site = GuardedSite(runner, self.host, self.port, self.limits)
            await site.start()
            self._runner = runner
            if not self.port:
                self.port = int(runner.addresses[0][1])

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(boot())
            except BaseException as exc:  # noqa: BLE001 - reported to the caller of start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="trustpolicy-bundle-server", daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT) or failure:
            self._thread = None
            cause = failure[0] if failure else None
            raise BundleError(f"bundle server did not start on {self.url}: {cause}") from cause
        _LOG.info("bundle server listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving (pending long polls are answered first) and join the thread."""
        thread, loop, runner = self._thread, self._loop, self._runner
        if thread is None or loop is None:
            return
        if runner is not None:
            future = asyncio.run_coroutine_threadsafe(runner.cleanup(), loop)
            future.result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = self._loop = self._runner = self._changed = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
