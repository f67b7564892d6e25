"""The client's transport: keep-alive reuse, dropped connections, no proxy, TLS, deadlines.

Issue 17 put :class:`Client` on the standard library's HTTP/1.1 instead of urllib3. These
tests hold it to what the client promised before: one warm connection per thread, at most
``pool_size`` in all, a dropped keep-alive connection replaced without the caller noticing,
a request resent at most once and only where the agent closed a reused connection without
a word of an answer, never a proxy from the environment, TLS checked as requests checked
it, and every failure a typed error or the fail-closed deny. The scripted peer is a real
loopback HTTP/1.1 server whose every move (answer, close, stall) a test chooses; the claims
about OPA itself run against a real agent.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import json
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from cryptography import x509

from conftest import WORKED_EXAMPLES
from test_security import _ca, _server_cert
from trustpolicy import (
    AsyncClient,
    Client,
    ConfigError,
    DecisionEvent,
    EngineTimeout,
    EngineUnavailable,
    LocalOPA,
)

if TYPE_CHECKING:
    from pathlib import Path

EXAMPLES = [e["input"] for e in json.loads(WORKED_EXAMPLES.read_text())]
REQUEST = EXAMPLES[3]
ANSWER = json.dumps({
    "decision_id": "peer-1",
    "result": {"outcome": "deny", "allowed": False, "violations": [], "exceptions": [],
               "escalations": [], "obligations": [], "policy": {"revision": "peer"}},
}).encode()  # fmt: skip
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")

#: What the peer does with the n-th request (from 1) of a connection: "answer"; "close"
#: (answer with Connection: close, and close); "slow" (answer after 0.3 s); "drop" (close
#: without a word); "partial" (status line, headers, half the body, close); "stall" (wait).
Script = Callable[[int, int], str]


class Peer:
    """A loopback HTTP/1.1 server run by a script: counts connections and requests."""

    def __init__(self, script: Script, *, close_after_answer: bool = False) -> None:
        self.script = script
        self.close_after_answer = close_after_answer  # as an agent closing idle connections
        self.connections = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._connection, args=(conn, number), daemon=True).start()

    def _connection(self, conn: socket.socket, number: int) -> None:
        with conn, conn.makefile("rb") as reader:
            for nth in range(1, 1000):
                head = [line for line in iter(reader.readline, b"\r\n") if line]
                if not head:
                    return
                length = next(
                    (
                        int(h.split(b":")[1])
                        for h in head
                        if h.lower().startswith(b"content-length")
                    ),
                    0,
                )
                reader.read(length)
                with self.lock:
                    self.requests += 1
                action = self.script(number, nth)
                if action == "drop":
                    return
                if action == "stall":
                    time.sleep(3)
                    return
                if action == "slow":
                    time.sleep(0.3)
                start = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                if action == "close":
                    start += b"Connection: close\r\n"
                start += b"Content-Length: %d\r\n\r\n" % len(ANSWER)
                if action == "partial":
                    conn.sendall(start + ANSWER[: len(ANSWER) // 2])
                    return
                conn.sendall(start + ANSWER)
                if self.close_after_answer or action == "close":
                    time.sleep(0.05)
                    return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def peer() -> Iterator[Callable[..., Peer]]:
    made: list[Peer] = []

    def make(script: Script = lambda _c, _n: "answer", **kw: bool) -> Peer:
        made.append(Peer(script, **kw))
        return made[-1]

    yield make
    for p in made:
        p.close()


@pytest.fixture(scope="module")
def agent() -> Iterator[LocalOPA]:
    with LocalOPA() as opa:
        yield opa


# -- keep-alive ---------------------------------------------------------------------------


def test_one_thread_reuses_one_connection(peer) -> None:
    server = peer()
    with Client(server.url) as client:
        for _ in range(20):
            assert client.decide(REQUEST).policy_revision == "peer"
    assert (server.connections, server.requests) == (1, 20)


def test_a_connection_the_agent_closed_while_idle_is_replaced_before_sending(peer) -> None:
    server = peer(close_after_answer=True)
    events: list[DecisionEvent] = []
    with Client(server.url, retries=0, on_decision=events.append) as client:
        for _ in range(5):
            assert client.decide(REQUEST).policy_revision == "peer"
            time.sleep(0.1)  # the peer has closed it by now
    # Each call found its idle connection closed and opened a new one; nothing was resent.
    assert (server.connections, server.requests) == (5, 5)
    assert [e.attempts for e in events] == [1] * 5


def test_a_request_dropped_unanswered_on_a_reused_connection_is_resent_once(peer) -> None:
    # The second request on the first connection is read, then dropped without an answer
    # (an agent closing an idle connection just as the request arrived).
    server = peer(lambda conn, nth: "drop" if (conn, nth) == (1, 2) else "answer")
    events: list[DecisionEvent] = []
    with Client(server.url, retries=0, on_decision=events.append) as client:
        client.decide(REQUEST)
        assert client.decide(REQUEST).policy_revision == "peer"
    assert (server.connections, server.requests) == (2, 3)
    assert [e.attempts for e in events] == [1, 2]


def test_a_fresh_connection_dropped_unanswered_is_not_resent(peer) -> None:
    server = peer(lambda _c, _n: "drop")
    with Client(server.url, retries=0) as client, pytest.raises(EngineUnavailable):
        client.decide(REQUEST)
    assert server.requests == 1
    denied = Client(server.url, retries=1, on_error="deny").decide(REQUEST)
    assert denied.allowed is False
    assert denied.rules == {"TP-ENGINE-01"}
    assert server.requests == 3  # one attempt and one retry: the caller's retries, no more


def test_an_answer_cut_off_midway_is_an_error_and_not_resent(peer) -> None:
    server = peer(lambda conn, nth: "partial" if nth == 2 else "answer")
    with Client(server.url, retries=0) as client:
        client.decide(REQUEST)
        with pytest.raises(EngineUnavailable, match="cannot reach the policy engine"):
            client.decide(REQUEST)
        assert server.requests == 2
        assert client.decide(REQUEST).policy_revision == "peer"  # a new connection


def test_an_answer_with_connection_close_is_kept_and_the_next_call_reconnects(peer) -> None:
    server = peer(lambda _c, _n: "close")
    events: list[DecisionEvent] = []
    with Client(server.url, retries=0, on_decision=events.append) as client:
        for _ in range(3):
            assert client.decide(REQUEST).policy_revision == "peer"
    assert (server.connections, server.requests) == (3, 3)
    assert [e.attempts for e in events] == [1, 1, 1]


def test_close_during_a_call_closes_its_connection_when_it_ends(peer) -> None:
    server = peer(lambda _c, nth: "slow" if nth == 1 else "answer")
    client = Client(server.url)
    answered: list[str | None] = []
    slow = threading.Thread(target=lambda: answered.append(client.decide(REQUEST).policy_revision))
    slow.start()
    time.sleep(0.1)
    client.close()  # while the call is in flight
    slow.join()
    assert answered == ["peer"]
    assert client.decide(REQUEST).policy_revision == "peer"
    client.close()
    assert (server.connections, server.requests) == (2, 2)


def test_close_then_use_opens_a_new_connection(peer) -> None:
    server = peer()
    client = Client(server.url)
    client.decide(REQUEST)
    client.close()
    assert client.decide(REQUEST).policy_revision == "peer"
    client.close()
    assert server.connections == 2


def test_a_client_dropped_without_close_closes_its_sockets(peer) -> None:
    server = peer()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        Client(server.url).decide(REQUEST)
        gc.collect()  # a ResourceWarning here would be raised as an error


# -- deadlines ----------------------------------------------------------------------------


def test_waiting_for_a_busy_pool_counts_against_the_deadline(peer) -> None:
    server = peer(lambda _c, _n: "stall")
    client = Client(server.url, timeout=0.5, pool_size=1, retries=0)
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            client.decide(REQUEST)
        except EngineTimeout as exc:
            errors.append(exc)

    first = threading.Thread(target=ask)
    first.start()
    time.sleep(0.2)  # the one connection is busy with the stalled call
    started = time.monotonic()
    with pytest.raises(EngineTimeout, match=r"no answer within 0\.5s"):
        client.decide(REQUEST)  # waits 0.3 s for the connection, then 0.2 s for an answer
    assert time.monotonic() - started < 0.9
    first.join()
    assert len(errors) == 1
    assert server.connections <= 2  # never two at once: pool_size=1
    client.close()


# -- no proxy, a clean token --------------------------------------------------------------


def test_proxy_variables_are_ignored(agent, peer, monkeypatch) -> None:
    proxy = peer()
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with Client(agent.url) as client:
        assert client.decide(EXAMPLES[0]).outcome.value == "deny"
        assert client.health()

    async def ask() -> str:
        async with AsyncClient(agent.url) as client:
            return (await client.decide(EXAMPLES[0])).outcome.value

    assert asyncio.run(ask()) == "deny"
    assert (proxy.connections, proxy.requests) == (0, 0)


@pytest.mark.parametrize("token", ["two\r\nX-Injected: 1", "with space", "naïve"])
def test_a_token_that_is_not_visible_ascii_is_refused(token: str) -> None:
    for make in (Client, AsyncClient):
        with pytest.raises(ConfigError, match="token: must be printable ASCII"):
            make("http://127.0.0.1:9", token=token)


@pytest.mark.parametrize("path", ["", "/", "trustpolicy/has space", "trustpolicy/x?y=1"])
def test_a_rule_path_that_is_no_path_is_refused(path: str) -> None:
    for make in (Client, AsyncClient):
        with pytest.raises(ConfigError, match="decision_path: must be a rule path"):
            make("http://127.0.0.1:9", decision_path=path)
        with pytest.raises(ConfigError, match="batch_path: must be a rule path"):
            make("http://127.0.0.1:9", batch_path=path)


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalOPA, Path]]:
    out = tmp_path_factory.mktemp("tls-transport")
    ca_key, ca, ca_path = _ca(out, "transport-ca")
    cert, key = _server_cert(out, ca_key, ca, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    with LocalOPA(tls_cert=cert, tls_key=key) as opa:
        yield opa, ca_path


def test_tls_with_a_ca_directory_reuses_one_connection(tls_agent, tmp_path) -> None:
    opa, ca_path = tls_agent
    hashed = tmp_path / "cas"
    hashed.mkdir()
    (hashed / "transport-ca.pem").write_bytes(ca_path.read_bytes())
    subprocess.run(["c_rehash", str(hashed)], check=True, capture_output=True)
    events: list[DecisionEvent] = []
    with Client(opa.url, verify=str(hashed), on_decision=events.append) as client:
        outcomes = [client.decide(e).outcome.value for e in EXAMPLES[:3]]
        assert client.health()
    with Client(opa.url, verify=str(ca_path)) as client:
        assert [client.decide(e).outcome.value for e in EXAMPLES[:3]] == outcomes
    assert [e.attempts for e in events] == [1, 1, 1]


def test_tls_without_verification_when_asked(tls_agent) -> None:
    opa, _ = tls_agent
    with Client(opa.url, verify=False) as client:
        assert client.decide(EXAMPLES[1]).outcome.value == "allow"
    with Client(opa.url) as client, pytest.raises(EngineUnavailable, match=r"(?i)certificate"):
        client.decide(EXAMPLES[1])
