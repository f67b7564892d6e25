"""Slow, idle and hostile connections on the bundle server and the collector (issue 15,
findings 8, 9 and 14), with bounded raw-socket clients against the real servers.

A slow client may not hold a connection past the header, body or idle timeout, nor more
connections than the cap; a 401 closes the connection without reading the body; a gzip
bomb is refused once it inflates past the cap, in a collector process whose peak memory
is measured; a token that is not UTF-8 gets a 401, never a 500; refusals are logged at
most once per interval.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from trustpolicy import ConfigError
from trustpolicy.bundles._bundle import write_archive
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.bundles._http_guard import ConnectionLimits
from trustpolicy.record._collector import Collector

if TYPE_CHECKING:
    from collections.abc import Iterator

TOKEN = "slow-client-test-token-" + "k" * 12
FAST = ConnectionLimits(header_timeout=1.0, body_timeout=1.0, idle_timeout=1.0, max_connections=8)
MIB = 1024 * 1024


@pytest.fixture(params=["bundle-server", "collector"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "collector":
        with Collector(tmp_path / "d.sqlite", {"agent": TOKEN}, limits=FAST) as collector:
            yield collector
        return
    bundle = write_archive({".manifest": b'{"revision": "r1"}'}, tmp_path / "b.tar.gz")
    with BundleServer({"agent": TOKEN}, limits=FAST) as srv:
        srv.publish(bundle)
        yield srv


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.settimeout(5)
    return sock


def closed_after(sock: socket.socket, limit: float = 5.0) -> float:
    """Seconds until the server closes ``sock`` (reading and dropping whatever it sends)."""
    started = time.monotonic()
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        while sock.recv(65536):
            assert time.monotonic() - started < limit, "the server kept the connection"
    return time.monotonic() - started


def test_a_request_head_sent_byte_by_byte_is_cut_off(server) -> None:
    sock = connect(server.url)
    started = time.monotonic()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        for _ in range(20):  # one header byte every 0.25 s: 5 s if nobody stops it
            sock.sendall(b"X")
            time.sleep(0.25)
            sock.settimeout(0.01)
            with contextlib.suppress(TimeoutError):
                if sock.recv(1) == b"":
                    break
    took = time.monotonic() - started
    sock.close()
    assert took < FAST.header_timeout + 1.5


def test_an_idle_keep_alive_connection_is_closed(server) -> None:
    sock = connect(server.url)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    assert closed_after(sock) < FAST.idle_timeout + 1.5
    sock.close()


def test_a_body_that_trickles_in_is_cut_off(server) -> None:
    path = "/logs" if isinstance(server, Collector) else "/bundles/b.tar.gz"
    method = "POST" if isinstance(server, Collector) else "GET"
    sock = connect(server.url)
    sock.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Length: 100000\r\n\r\n[".encode()
    )
    started = time.monotonic()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        for _ in range(20):
            sock.sendall(b" ")
            time.sleep(0.25)
            sock.settimeout(0.01)
            with contextlib.suppress(TimeoutError):
                if not sock.recv(65536):
                    break
    sock.close()
    assert time.monotonic() - started < FAST.body_timeout + 1.5


def test_connections_over_the_cap_are_refused_and_slow_ones_make_room(server) -> None:
    held = [connect(server.url) for _ in range(FAST.max_connections)]
    time.sleep(0.2)
    extra = connect(server.url)
    assert closed_after(extra, 2.0) < 1.0  # refused at once: the cap is reached
    extra.close()
    time.sleep(FAST.header_timeout + 0.5)  # the silent ones are cut off
    for sock in held:
        assert closed_after(sock, 1.0) < 1.0
        sock.close()
    assert requests.get(f"{server.url}/health", timeout=5).ok


def test_a_401_is_sent_before_the_body_and_closes_the_connection(server) -> None:
    path = "/logs" if isinstance(server, Collector) else "/bundles/b.tar.gz"
    method = "POST" if isinstance(server, Collector) else "GET"
    sock = connect(server.url)
    sock.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-xxxxxxxxxx\r\n"
        f"Content-Length: {64 * MIB}\r\n\r\n".encode()
    )
    sock.sendall(b"x" * 1000)
    answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401")
    assert closed_after(sock, 3.0) < 1.0  # not reading (lingering on) the 64 MiB
    sock.close()


@pytest.mark.parametrize("token", [b"\xff\xfe\xfd-not-utf8-at-all-0123", b"\xc3\x28" * 10])
def test_a_token_that_is_not_utf8_gets_a_401_not_a_500(server, token) -> None:
    path = "/logs" if isinstance(server, Collector) else "/bundles/b.tar.gz"
    method = "POST" if isinstance(server, Collector) else "GET"
    sock = connect(server.url)
    sock.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n".encode()
        + b"Authorization: Bearer "
        + token
        + b"\r\n\r\n[]"
    )
    assert sock.recv(65536).startswith(b"HTTP/1.1 401")
    sock.close()


def test_refusals_are_logged_once_per_interval(server, caplog) -> None:
    path = "/logs" if isinstance(server, Collector) else "/bundles/b.tar.gz"
    call = requests.post if isinstance(server, Collector) else requests.get
    with caplog.at_level(logging.WARNING):
        for n in range(30):
            answer = call(
                f"{server.url}{path}", headers={"Authorization": f"Bearer bad-{n:030d}"}, timeout=5
            )
            assert answer.status_code == 401
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert 1 <= len(refusals) <= 2


def test_bundle_server_tokens_have_a_minimum_length() -> None:
    with pytest.raises(ConfigError, match="at least 16 characters"):
        BundleServer({"agent": "short-token"})


_COLLECTOR = textwrap.dedent(
    """
    import sys
    from trustpolicy.record._collector import Collector
    with Collector(sys.argv[1], {"agent": sys.argv[2]}) as collector:
        print(collector.port, flush=True)
        sys.stdin.read()
    """
)


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize("declared", [True, False])
def test_gzip_bomb_on_the_collector_is_refused_in_bounded_memory(tmp_path, declared) -> None:
    """A real collector process; 256 KiB of gzip that would inflate to 256 MiB."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _COLLECTOR, str(tmp_path / "d.sqlite"), TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        before = _peak_rss(proc.pid)
        member = gzip.compress(b" " * MIB, mtime=0)
        bomb = gzip.compress(b"[", mtime=0) + member * 256
        headers = {"Authorization": f"Bearer {TOKEN}"}
        if declared:
            headers["Content-Encoding"] = "gzip"
        started = time.monotonic()
        answer = requests.post(f"{url}/logs", data=bomb, headers=headers, timeout=30)
        took = time.monotonic() - started
        assert answer.status_code == 413, answer.text
        assert took < 5
        assert _peak_rss(proc.pid) - before < 40 * MIB
        event = {"decision_id": "d-1", "timestamp": "2026-06-01T12:00:00Z", "input": {}}
        ok = requests.post(f"{url}/logs", data=json.dumps([event]), headers=headers, timeout=10)
        assert ok.status_code == 200
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(10)
