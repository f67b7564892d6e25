"""The client inside a service: one deadline per call, typed errors, threads, logs, hooks.

What a Flask or FastAPI service on the SDK needs: ``timeout`` bounds the whole call
(retries included), the error says what went wrong, one Client is shared by many threads
without errors or pool warnings, and the library logs on its own logger without ever
writing the input or the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, ClassVar

import pytest
import requests

import trustpolicy
from conftest import WORKED_EXAMPLES
from trustpolicy import (
    AsyncClient,
    Client,
    DecisionEvent,
    EngineConnectionRefused,
    EngineError,
    EngineHTTPError,
    EngineTimeout,
    EngineUnavailable,
    LocalOPA,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = [e["input"] for e in json.loads(WORKED_EXAMPLES.read_text())]
DETAIN = EXAMPLES[0]  # civil detainer: deny
TOKEN = "service-client-token-0123456789abcdef"


class _Peer(BaseHTTPRequestHandler):
    """A loopback HTTP/1.1 peer: answers after ``delay`` with ``status`` (a transport test)."""

    protocol_version = "HTTP/1.1"
    delay = 0.0
    status = 200
    requests = 0
    answer = b'{"result": {}}'
    connections: ClassVar[set[int]] = set()
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.lock:
            type(self).requests += 1
            self.connections.add(self.client_address[1])
        time.sleep(self.delay)
        body = self.answer
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _peer(delay: float = 0.0, status: int = 200) -> Iterator[tuple[str, type[_Peer]]]:
    handler = type("Handler", (_Peer,), {"delay": delay, "status": status, "connections": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def slow_peer() -> Iterator[tuple[str, type[_Peer]]]:
    yield from _peer(delay=3.0)


@pytest.fixture
def busy_peer() -> Iterator[tuple[str, type[_Peer]]]:
    yield from _peer(delay=0.2, status=503)


@pytest.fixture
def quick_peer() -> Iterator[tuple[str, type[_Peer]]]:
    yield from _peer(delay=0.02)


@pytest.fixture(scope="module")
def agent() -> Iterator[LocalOPA]:
    with LocalOPA(token=TOKEN) as opa:
        yield opa


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# -- one deadline per call ------------------------------------------------------------------


def test_timeout_is_a_deadline_for_the_whole_call_retries_included(slow_peer) -> None:
    url, _ = slow_peer
    client = Client(url, timeout=0.5, retries=2)
    started = time.monotonic()
    with pytest.raises(EngineTimeout, match=r"no answer within 0\.5s"):
        client.decide(DETAIN)
    assert time.monotonic() - started < 0.9  # was 2.1 s: 0.5 s per attempt, three attempts


def test_retries_on_a_busy_agent_stop_at_the_deadline(busy_peer) -> None:
    url, handler = busy_peer
    client = Client(url, timeout=0.5, retries=10)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable) as info:
        client.decide(DETAIN)
    assert time.monotonic() - started < 0.9
    assert isinstance(info.value, EngineTimeout | EngineHTTPError)
    assert 2 <= handler.requests <= 3  # retried, but only while the deadline allowed


def test_async_timeout_is_a_deadline_too(slow_peer) -> None:
    url, _ = slow_peer

    async def ask() -> None:
        async with AsyncClient(url, timeout=0.5, retries=2) as client:
            await client.decide(DETAIN)

    started = time.monotonic()
    with pytest.raises(EngineTimeout):
        asyncio.run(ask())
    assert time.monotonic() - started < 0.9


# -- the error says what happened -----------------------------------------------------------


def test_refused_connection_is_engine_connection_refused() -> None:
    url = _closed_port()
    with pytest.raises(EngineConnectionRefused, match="connection refused") as info:
        Client(url, retries=1).decide(DETAIN)
    assert isinstance(info.value, EngineUnavailable)
    assert isinstance(info.value, ConnectionRefusedError)

    async def ask() -> None:
        async with AsyncClient(url, retries=0) as client:
            await client.decide(DETAIN)

    with pytest.raises(EngineConnectionRefused):
        asyncio.run(ask())


def test_timeout_is_engine_timeout_and_a_builtin_timeout(slow_peer) -> None:
    url, _ = slow_peer
    with pytest.raises(TimeoutError):
        Client(url, timeout=0.3).decide(DETAIN)
    denied = Client(url, timeout=0.3, on_error="deny").decide(DETAIN)
    assert denied.allowed is False
    assert denied.rules == {"TP-ENGINE-01"}


def test_http_error_is_engine_http_error_caught_by_either_old_handler(agent) -> None:
    client = Client(agent.url, token="not-the-agent-token-0123456789")
    with pytest.raises(EngineHTTPError) as info:
        client.decide(DETAIN)
    assert info.value.status == 401
    assert isinstance(info.value, EngineError)
    assert isinstance(info.value, EngineUnavailable)
    assert info.value.url == f"{agent.url}/v1/data/trustpolicy/decision"


def test_typed_errors_are_public_api() -> None:
    for name in ("EngineTimeout", "EngineConnectionRefused", "EngineHTTPError"):
        assert name in trustpolicy.__all__
        assert issubclass(getattr(trustpolicy, name), EngineUnavailable)
        assert issubclass(getattr(trustpolicy, name), trustpolicy.TrustPolicyError)


# -- threads --------------------------------------------------------------------------------


def test_one_client_shared_by_32_threads_against_a_real_agent(agent, caplog) -> None:
    client = Client(agent.url, token=TOKEN, timeout=30)
    caplog.set_level(logging.WARNING)

    def work(i: int) -> list[str]:
        return [client.decide(EXAMPLES[(i + n) % len(EXAMPLES)]).outcome.value for n in range(10)]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(work, range(32)))
    single = [client.decide(e).outcome.value for e in EXAMPLES]
    for i, outcomes in enumerate(results):
        assert outcomes == [single[(i + n) % len(EXAMPLES)] for n in range(10)]
    assert not [r for r in caplog.records if r.name.startswith("urllib3")], caplog.text
    assert "pool" not in caplog.text.lower()
    client.close()


def test_pool_size_bounds_the_connections_of_many_threads(agent, quick_peer, caplog) -> None:
    url, handler = quick_peer
    # The peer answers with a real decision document (the agent's), slowly: a transport test.
    raw = requests.post(
        f"{agent.url}/v1/data/trustpolicy/decision", json={"input": DETAIN},
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
    )  # fmt: skip
    handler.answer = raw.content
    client = Client(url, timeout=30, pool_size=3)
    caplog.set_level(logging.WARNING)
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda _: client.decide(DETAIN).outcome.value, range(64)))
    assert outcomes == ["deny"] * 64
    assert 1 <= len(handler.connections) <= 3
    assert not [r for r in caplog.records if r.name.startswith("urllib3")], caplog.text


# -- logging and the hook -------------------------------------------------------------------


def test_logs_count_latency_and_failures_never_the_input_or_token(agent, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="trustpolicy")
    client = Client(agent.url, token=TOKEN)
    client.decide(DETAIN)
    client.decide_many(EXAMPLES[:3])
    with pytest.raises(EngineHTTPError):
        Client(agent.url, token=TOKEN + "-wrong").decide(DETAIN)
    with pytest.raises(EngineConnectionRefused):
        Client(_closed_port(), retries=0).decide(DETAIN)
    records = [r for r in caplog.records if r.name == "trustpolicy.client"]
    text = "\n".join(r.getMessage() for r in records)
    assert "call 1: decision POST" in text
    assert "call 2: batch POST" in text
    assert " ms, 1 attempt(s), 3 decision(s)" in text
    failures = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert any("EngineHTTPError (HTTP 401)" in m for m in failures), failures
    assert any("EngineConnectionRefused" in m for m in failures), failures
    everything = caplog.text + text
    assert TOKEN not in everything
    for value in ("D-4", "ICE-ERO", "civil_detainer", "police_officer", "arrestee", "victim"):
        assert value not in everything, value


def test_hook_gets_one_event_per_call_and_cannot_change_a_decision(agent, caplog) -> None:
    events: list[DecisionEvent] = []
    client = Client(agent.url, token=TOKEN, on_decision=events.append)
    decision = client.decide(DETAIN)
    batch = client.decide_many(EXAMPLES[:3])
    assert [(e.kind, e.count, e.attempts, e.status, e.error) for e in events] == [
        ("decision", 1, 1, 200, None),
        ("batch", 3, 1, 200, None),
    ]
    assert events[0].outcomes == (decision.outcome.value,)
    assert events[0].decision_ids == (decision.decision_id,)
    assert events[1].outcomes == tuple(d.outcome.value for d in batch)
    assert all(0 < e.latency < 5 for e in events)
    assert not any(TOKEN in repr(e) or "ICE-ERO" in repr(e) for e in events)

    def broken(_event: DecisionEvent) -> None:
        raise RuntimeError("metrics backend down")

    survived = Client(agent.url, token=TOKEN, on_decision=broken).decide(DETAIN)
    assert (survived.outcome, survived.rules) == (decision.outcome, decision.rules)
    assert "the on_decision hook raised" in caplog.text

    failed: list[DecisionEvent] = []
    denying = Client(_closed_port(), retries=1, on_error="deny", on_decision=failed.append)
    assert denying.decide(DETAIN).rules == {"TP-ENGINE-01"}
    assert failed[0].attempts == 2
    assert isinstance(failed[0].error, EngineConnectionRefused)
    assert failed[0].outcomes == ("deny",)


def test_async_client_reports_to_the_hook_too(agent) -> None:
    events: list[DecisionEvent] = []

    async def ask() -> str:
        async with AsyncClient(agent.url, token=TOKEN, on_decision=events.append) as client:
            return (await client.decide(DETAIN)).outcome.value

    assert asyncio.run(ask()) == "deny"
    assert [(e.kind, e.outcomes, e.attempts) for e in events] == [("decision", ("deny",), 1)]
