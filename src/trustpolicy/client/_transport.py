"""Keep-alive HTTP/1.1 connections to one agent, shared safely by threads (standard library).

One :class:`Connections` per :class:`~trustpolicy.Client`. A call takes a connection for
itself (no two threads ever share one), sends, reads the whole answer, and gives it back;
the most recently returned connection is taken first, so a single thread always reuses its
own warm connection. At most ``pool_size`` connections exist: a thread that finds every one
busy waits for one within its deadline (and then times out), never opening more.

A request leaves in one ``sendall``: its head is built once per path (the headers never
change: content type, the bearer token) with only ``Content-Length`` added per call. The
answer is read by ``http.client.HTTPResponse`` (status line, headers, a ``Content-Length``
or chunked body, keep-alive or close), as ``http.client.HTTPConnection`` reads it.

Nothing is read from the environment: no proxy (``HTTP_PROXY`` and the like are ignored,
as they were with ``trust_env=False``), no ``.netrc``, no CA bundle variable. TLS is
verified as before with requests: ``verify=True`` against certifi's CA bundle, a path
against that CA file (or ``c_rehash`` directory), ``False`` not at all; the host name (or
IP address) of the URL must be in the agent's certificate.

A dropped keep-alive connection (the agent restarted, or closed an idle connection) is
detected before sending where the socket already reads as closed, and a new connection is
opened: nothing was sent. Where the agent closes a reused connection after the request was
written but before any status line came back, the request is sent once more on a new
connection. That resend is safe: a query of OPA's data API changes nothing but the
decision log, where OPA writes a decision once evaluated, just before answering; at worst
(an agent that evaluated and then lost the connection) the log holds one decision no
caller received, under its own decision id, and the caller gets the resent request's
answer. It is never done on a fresh connection, nor after any byte of an answer, nor
more than once per attempt.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import certifi

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__: list[str] = []

#: A reused connection that fails with one of these before a status line was dropped by the
#: agent while idle (RemoteDisconnected: closed without a word of an answer).
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Connection:
    """One keep-alive socket (``None`` until connected, and again once closed)."""

    __slots__ = ("sock",)

    def __init__(self) -> None:
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class Connections:
    """A bounded LIFO set of keep-alive connections to ``host:port`` for any number of threads."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        https: bool,
        verify: bool | str,
        headers: Mapping[str, str],
        pool_size: int,
    ) -> None:
        self.host, self.port, self.https = host, port, https
        self._verify = verify
        authority = f"[{host}]" if ":" in host else host
        if port != (443 if https else 80):
            authority += f":{port}"
        fields = {"Host": authority, **headers}
        self._fields = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode("latin-1")
        self._heads: dict[tuple[str, str], bytes] = {}
        self._context: ssl.SSLContext | None = None
        self._idle: list[_Connection] = []
        self._slots = threading.BoundedSemaphore(pool_size)
        self._generation = 0  # bumped by close(): connections out at the time are not kept
        # A client dropped without close() closes its sockets when collected (as urllib3 did).
        weakref.finalize(self, _close_all, self._idle)

    def request(
        self, method: str, path: str, body: bytes | None, deadline: float, sent: list[int]
    ) -> tuple[int, bytes]:
        """One attempt: (status, whole body), or the exception that ended it.

        ``deadline`` (a ``time.monotonic()`` value) bounds the wait for a connection (then
        TimeoutError), the connect, the TLS handshake and every write and read. ``sent``
        gets one entry per HTTP request written (two when a dropped one was resent).
        """
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self._slots.acquire(timeout=remaining):
            raise TimeoutError("every connection of the pool stayed busy")
        try:
            generation = self._generation
            conn = self._take()
            try:
                return self._exchange(conn, method, self._message(method, path, body),
                                      deadline=deadline, sent=sent)  # fmt: skip
            except BaseException:
                conn.close()  # never reuse a connection in an unknown state
                raise
            finally:
                if generation == self._generation:
                    self._idle.append(conn)
                else:
                    conn.close()
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every idle connection; one in use now is closed when it is given back."""
        self._generation += 1
        _close_all(self._idle)

    # -- internals -------------------------------------------------------------------------

    def _message(self, method: str, path: str, body: bytes | None) -> bytes:
        """The whole request: the head (built once per method and path), then the body."""
        head = self._heads.get((method, path))
        if head is None:  # the paths were checked when the client was made
            line = f"{method} {path} HTTP/1.1\r\n".encode("ascii")
            head = self._heads[method, path] = line + self._fields
        if body is None:
            return head + b"\r\n"
        return b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)

    def _take(self) -> _Connection:
        """A connection of our own: the last one given back, or a new one (a slot is held)."""
        try:
            conn = self._idle.pop()
        except IndexError:
            return _Connection()
        if conn.sock is not None and _reads_closed(conn.sock):
            conn.close()  # the agent closed it while idle: reconnect before sending anything
        return conn

    def _connect(self, deadline: float) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=_left(deadline))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if not self.https:
                return sock
            if self._context is None:
                self._context = tls_context(self._verify)
            return self._context.wrap_socket(sock, server_hostname=self.host)  # handshake
        except BaseException:
            sock.close()
            raise

    def _start(
        self, conn: _Connection, method: str, message: bytes, deadline: float
    ) -> tuple[socket.socket, http.client.HTTPResponse]:
        """Send ``message`` on ``conn`` (connecting if need be); read the status and headers."""
        sock = conn.sock
        if sock is None:
            sock = conn.sock = self._connect(deadline)
        else:
            sock.settimeout(_left(deadline))
        sock.sendall(message)
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
        except BaseException:
            response.close()  # its reader holds the socket open otherwise
            raise
        return sock, response

    def _exchange(
        self, conn: _Connection, method: str, message: bytes, *, deadline: float, sent: list[int]
    ) -> tuple[int, bytes]:
        reused = conn.sock is not None
        sent.append(1)
        try:
            sock, response = self._start(conn, method, message, deadline)
        except _DROPPED:
            if not reused:
                raise
            conn.close()  # dropped while idle, before any answer: once more, on a new one
            sent.append(1)
            sock, response = self._start(conn, method, message, deadline)
        try:
            sock.settimeout(_left(deadline))  # the body within what is left
            content = response.read()
        finally:
            response.close()
        if response.will_close:
            conn.close()
        return response.status, content


def _left(deadline: float) -> float:
    """Seconds left until ``deadline`` (a socket timeout), or TimeoutError once it passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the deadline passed")
    return remaining


def _close_all(idle: list[_Connection]) -> None:
    while idle:
        try:
            idle.pop().close()
        except IndexError:  # taken by another thread meanwhile
            break


def _reads_closed(sock: socket.socket) -> bool:
    """Whether an idle keep-alive socket is readable: the peer closed it (or sent junk)."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The TLS context for ``verify``, as requests built it (certifi for ``True``).

    An unreadable CA path raises OSError or ssl.SSLError here, at the first connection:
    the call fails closed like any other transport failure.
    """
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:  # requests' CA bundle, which the client has always used
        return ssl.create_default_context(cafile=certifi.where())
    if Path(verify).is_dir():
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)
