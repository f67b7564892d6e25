"""Connection limits for the aiohttp servers (the bundle server and the collector).

aiohttp keeps a connection as long as the client trickles bytes, and an idle keep-alive
connection for an hour; a few hundred slow clients then hold every file descriptor and
no agent gets its bundle. :class:`GuardedSite` (a ``TCPSite``) wraps each connection:

- the request head must arrive within ``header_timeout`` of connecting, and the next
  one within ``idle_timeout`` of the last response, however slowly bytes trickle in;
- a request body must be read within ``body_timeout`` (:func:`read_body`);
- at most ``max_connections`` are open at once: the next is closed on accept.

Also here: reading a bearer token that is not UTF-8 (a 401, never a 500), and refusal
warnings limited to one per interval, with the count of those left out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__: list[str] = []

#: Every guarded connection open in this process, by transport (see :func:`middleware`).
_OPEN: dict[asyncio.Transport, _Guard] = {}


@attrs.frozen
class ConnectionLimits:
    """Timeouts (seconds) and the concurrent-connection cap of one server."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 15.0
    max_connections: int = 256


class _Guard(asyncio.Protocol):
    """One connection: aiohttp's protocol inside, with a deadline it cannot extend."""

    def __init__(self, inner: Any, site: GuardedSite) -> None:
        self._inner = inner
        self._site = site
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._active = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not isinstance(transport, asyncio.Transport):  # a TCP server gives one always
            transport.close()
            return
        self._transport = transport
        site = self._site
        if len(site.open) >= site.limits.max_connections:
            site.refusals.warn("refused a connection: %d already open", len(site.open))
            transport.abort()
            return
        self._active = True
        site.open[transport] = self
        _OPEN[transport] = self
        self.arm(site.limits.header_timeout)
        self._inner.connection_made(transport)

    def arm(self, seconds: float) -> None:
        """Close the connection unless a request head arrives within ``seconds``."""
        self.disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expire)

    def arm_idle(self) -> None:
        """After a response: the next request head must come within ``idle_timeout``."""
        if self._transport is not None:
            self.arm(self._site.limits.idle_timeout)

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._site.refusals.warn("closed a connection that sent no request in time")
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._active:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return bool(self._inner.eof_received()) if self._active else None

    def pause_writing(self) -> None:
        if self._active:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._active:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        if self._active:
            self._active = False
            self._site.open.pop(self._transport, None)  # type: ignore[arg-type]
            _OPEN.pop(self._transport, None)  # type: ignore[arg-type]
            self._inner.connection_lost(exc)
        self._transport = None


class GuardedSite(web.TCPSite):
    """A ``TCPSite`` that applies :class:`ConnectionLimits` to every connection."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, limits: ConnectionLimits
    ) -> None:
        super().__init__(runner, host, port, reuse_address=True)
        self.limits = limits
        self.open: dict[asyncio.Transport, _Guard] = {}
        self.refusals = RateLimitedWarning(logging.getLogger("trustpolicy.http"))

    async def start(self) -> None:
        runner = self._runner
        server = runner.server
        if server is None:
            raise RuntimeError("call runner.setup() before starting a site")
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Guard(server(), self),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=True,
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]


@web.middleware
async def middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Stop the head deadline while a request is handled; start the idle one after it."""
    transport = request.transport
    guard = _OPEN.get(transport) if isinstance(transport, asyncio.Transport) else None
    if guard is not None:
        guard.disarm()
    try:
        return await handler(request)
    finally:
        if guard is not None:
            guard.arm_idle()


def runner_options(limits: ConnectionLimits) -> dict[str, Any]:
    """``AppRunner`` options that go with the limits (no lingering, bounded keep-alive)."""
    # lingering_time=0: a response sent before the body was read (a 401) closes the
    # connection instead of reading and discarding the rest of the body.
    return {"keepalive_timeout": limits.idle_timeout, "lingering_time": 0, "access_log": None}


async def read_body(request: web.Request, limits: ConnectionLimits, cap: int) -> bytes:
    """The request body as sent (no decompression), within ``body_timeout`` and ``cap``."""
    if request.content_length is not None and request.content_length > cap:
        raise web.HTTPRequestEntityTooLarge(max_size=cap, actual_size=request.content_length)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(limits.body_timeout):
            while chunk := await request.content.read(64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise web.HTTPRequestEntityTooLarge(max_size=cap, actual_size=size)
                chunks.append(chunk)
    except TimeoutError as exc:
        raise web.HTTPRequestTimeout(text="the request body was not sent in time") from exc
    return b"".join(chunks)


def bearer_token(request: web.Request) -> bytes | None:
    """The bearer token of ``request`` as bytes, or ``None``; never raises on odd bytes."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    # aiohttp decodes header bytes with surrogateescape: encode them back the same way.
    return token.encode("utf-8", "surrogateescape")


class RateLimitedWarning:
    """At most one WARNING per ``interval`` seconds; the next one counts those left out."""

    def __init__(self, logger: logging.Logger, interval: float = 10.0) -> None:
        self._logger = logger
        self._interval = interval
        self._last = -interval
        self._skipped = 0

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            self._skipped += 1
            return
        skipped, self._skipped, self._last = self._skipped, 0, now
        suffix = f" (and {skipped} more like it since the last warning)" if skipped else ""
        self._logger.warning("%s%s", message % args if args else message, suffix)
