"""Every decision is on the record: a batch is logged decision by decision (issue 14).

Real OPA agents decide through the SDK (``decide`` and ``decide_many``) and ship their
decision logs to a real collector; the store must then hold N + M decisions for N single
and M batched ones, each with its own id, masked input, outcome and rules, through
collector restarts and repeated uploads, and no query for the policy revision.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import requests

from conftest import WORKED_EXAMPLES
from trustpolicy import Client, policies_dir
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._collector import Collector
from trustpolicy.record._masking import project_input
from trustpolicy.record._report import annual_report

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from trustpolicy.record._store import DecisionStore

TOKEN = "agent-d4-batch-" + "z" * 24
EXAMPLES = json.loads(WORKED_EXAMPLES.read_text())
INPUTS = [e["input"] for e in EXAMPLES]


def opa_config(url: str) -> dict[str, Any]:
    return {
        "services": {"collector": {"url": url, "credentials": {"bearer": {"token": TOKEN}}}},
        "decision_logs": {
            "service": "collector",
            "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
        },
    }


def wait_for_count(store: DecisionStore, n: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while store.count() < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.count() == n


def summary(decision: Any) -> tuple[str, list[str]]:
    return decision.outcome.value, sorted(f.rule for f in decision.violations)


def stored_summary(logged: Any) -> tuple[str, list[str]]:
    return str(logged.outcome), sorted(logged.rules("violations"))


def test_single_and_batched_decisions_are_each_one_record(tmp_path: Path) -> None:
    singles, batched = INPUTS[:3], INPUTS[3:]
    with Collector(tmp_path / "d.sqlite", {"agent-d4": TOKEN}) as collector:
        config = opa_config(collector.url)
        with LocalOPA(policies=policies_dir(), config=config) as opa, Client(opa.url) as client:
            one = [client.decide(i) for i in singles]
            many = client.decide_many(batched)
            client.policy_revision()  # a query, not a decision: never on the record
            wait_for_count(collector.store, len(singles) + len(batched))
            time.sleep(1.5)  # one more upload cycle: still nothing extra
        stored = {d.decision_id: d for d in collector.store.decisions()}
    decided = [*one, *many]
    assert sorted(stored) == sorted(str(d.decision_id) for d in decided)
    for decision, given in zip(decided, [*singles, *batched], strict=True):
        logged = stored[str(decision.decision_id)]
        assert stored_summary(logged) == summary(decision)
        assert logged.input == project_input(given)  # its own masked input, not the batch's
        assert logged.rules("obligations") == tuple(f.rule for f in decision.obligations)
    assert len({d.path for d in stored.values()}) == 2  # decision and batch, no revision


def test_the_report_counts_batched_detainer_decisions(tmp_path: Path) -> None:
    detainer = next(i for i in INPUTS if i["action"] == "detain")
    with Collector(tmp_path / "d.sqlite", {"agent-d4": TOKEN}) as collector:
        config = opa_config(collector.url)
        with LocalOPA(policies=policies_dir(), config=config) as opa, Client(opa.url) as client:
            for _ in range(3):
                client.decide(detainer)
            client.decide_many([detainer] * 3)
            wait_for_count(collector.store, 6)
        report = annual_report(collector.store, collector.store.decisions()[0].timestamp.year)
    assert "logged; 6 concern a civil detainer request" in report


class _FlakyProxy(BaseHTTPRequestHandler):
    """Forward uploads to the collector; answer 503 after the first ``fail`` were stored."""

    target = ""
    fail = 0
    seen: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        try:
            status = requests.post(
                self.target + self.path, data=body, headers=headers, timeout=10
            ).status_code
        except requests.ConnectionError:
            status = 502  # the collector is down: OPA keeps the events and retries
        type(self).seen.append(status)
        if self.path.startswith("/logs") and type(self).fail > 0:
            type(self).fail -= 1
            status = 503  # stored, but OPA is told otherwise: it uploads the same batch again
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def _proxy(target: str, fail: int) -> Iterator[ThreadingHTTPServer]:
    _FlakyProxy.target, _FlakyProxy.fail, _FlakyProxy.seen = target, fail, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_batches_survive_restarts_and_repeated_uploads_without_duplicates(
    tmp_path: Path,
) -> None:
    db = tmp_path / "d.sqlite"
    collector = Collector(db, {"agent-d4": TOKEN}).start()
    port = collector.port
    proxies = _proxy(collector.url, fail=2)
    proxy = next(proxies)
    decided: list[Any] = []
    try:
        config = opa_config(f"http://127.0.0.1:{proxy.server_address[1]}")
        with LocalOPA(policies=policies_dir(), config=config) as opa, Client(opa.url) as client:
            decided += [client.decide(i) for i in INPUTS[:2]]
            decided += client.decide_many(INPUTS[2:6])
            wait_for_count(collector.store, 6)
            time.sleep(2.5)  # the two refused uploads come again: stored once
            assert _FlakyProxy.fail == 0
            collector.stop()
            decided += client.decide_many(INPUTS[6:])
            decided += [client.decide(i) for i in INPUTS[:2]]
            time.sleep(2.5)  # uploads fail meanwhile; OPA keeps the events and retries
            collector = Collector(db, {"agent-d4": TOKEN}, port=port).start()
            wait_for_count(collector.store, len(decided), timeout=30)
            time.sleep(1.5)
        assert 502 in _FlakyProxy.seen  # uploads were refused while the collector was down
        ids = [d.decision_id for d in collector.store.decisions()]
        assert sorted(ids) == sorted(str(d.decision_id) for d in decided)
        assert len(ids) == len(set(ids)) == 2 + 4 + len(INPUTS[6:]) + 2
    finally:
        collector.stop()
        next(proxies, None)
