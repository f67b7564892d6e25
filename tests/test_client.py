"""Client against a real OPA started by LocalOPA: worked examples, faults, fail-closed."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import TYPE_CHECKING

import pytest

from conftest import WORKED_EXAMPLES
from trustpolicy import (
    Client,
    ConfigError,
    Decision,
    DecisionRequest,
    EngineError,
    EngineUnavailable,
    InvalidRequest,
    LocalOPA,
)
from trustpolicy.client._shared import input_json
from trustpolicy.contract import _models as models

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

EXAMPLES = json.loads(WORKED_EXAMPLES.read_text())
LISTS = ("violations", "exceptions", "escalations", "obligations")

SMALL_POLICY = """package trustpolicy

decision := {"outcome": "deny", "allowed": false, "violations": [], "exceptions": [],
  "escalations": [], "obligations": [], "policy": {"revision": "small"}}
"""
AUTHZ = """package system.authz

default allow := false

allow if input.identity == "s3cret"
"""


def summary(decision: Decision) -> dict[str, object]:
    """The worked-example view of a decision: outcome and the rule ids in each list."""
    out: dict[str, object] = {"outcome": str(decision.outcome)}
    out.update({k: sorted(f.rule for f in getattr(decision, k)) for k in LISTS})
    return out


def without_id(decision: Decision) -> Decision:
    return Decision(**{**decision.__getstate__(), "decision_id": None})  # type: ignore[misc]


@pytest.fixture(scope="module")
def opa() -> Iterator[LocalOPA]:
    with LocalOPA() as engine:
        yield engine


@pytest.fixture(scope="module")
def client(opa: LocalOPA) -> Iterator[Client]:
    with Client(opa.url) as c:
        yield c


@pytest.fixture
def small_policy(tmp_path: Path) -> Path:
    (tmp_path / "decision.rego").write_text(SMALL_POLICY)
    return tmp_path


class _SlowHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        time.sleep(2)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_peer() -> Iterator[str]:
    """A loopback HTTP peer that answers too late (a slow engine, not a fake decision)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A loopback socket that accepts nothing, to prove no connection was attempted."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock
    sock.close()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["name"])
def test_worked_example_through_decide(client: Client, example: dict) -> None:
    decision = client.decide(DecisionRequest.from_dict(example["input"]))
    assert summary(decision) == example["expect"]
    assert decision.allowed is (example["expect"]["outcome"] == "allow")
    assert decision.decision_id
    assert decision.policy_revision is not None
    for finding in (*decision.violations, *decision.escalations, *decision.exceptions):
        assert finding.message
        assert finding.citation


def test_decide_many_matches_decide_in_order(client: Client) -> None:
    requests = [DecisionRequest.from_dict(e["input"]) for e in EXAMPLES]
    batch = client.decide_many(requests)
    single = [client.decide(r) for r in requests]
    assert [without_id(d) for d in batch] == [without_id(d) for d in single]
    assert [summary(d) for d in batch] == [e["expect"] for e in EXAMPLES]
    # One round trip, one logged query: each decision is OPA's decision id plus its position.
    (query,) = {str(d.decision_id).rsplit("/", 1)[0] for d in batch}
    assert [d.decision_id for d in batch] == [f"{query}/{i}" for i in range(len(batch))]


def test_decide_many_of_nothing_is_nothing(listener: tuple[str, socket.socket]) -> None:
    url, sock = listener
    assert Client(url).decide_many([]) == []
    with pytest.raises(TimeoutError):
        sock.accept()


def test_decide_accepts_an_input_document(client: Client) -> None:
    decision = client.decide(EXAMPLES[0]["input"])
    assert summary(decision) == EXAMPLES[0]["expect"]


def test_health_and_revision(client: Client) -> None:
    assert client.health() is True
    assert client.health(bundles=False) is True
    assert isinstance(client.policy_revision(), str)


def test_malformed_request_is_rejected_before_any_network_call(
    listener: tuple[str, socket.socket],
) -> None:
    url, sock = listener
    for on_error in ("raise", "deny"):
        c = Client(url, on_error=on_error)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequest, match=r"actor\.role: must be one of"):
            c.decide({"action": "detain", "actor": {"agency": "BPD", "role": "sheriff"}})
        with pytest.raises(InvalidRequest, match=r"unknown field\(s\) bogus"):
            c.decide_many([EXAMPLES[0]["input"], {**EXAMPLES[1]["input"], "bogus": 1}])
    with pytest.raises(TimeoutError):
        sock.accept()


def test_bad_mapping_is_refused_before_any_connection(
    listener: tuple[str, socket.socket],
) -> None:
    url, sock = listener
    unknown = {**EXAMPLES[0]["input"], "reason": "x"}
    bad_enum = {**EXAMPLES[1]["input"], "counterpart": MappingProxyType({"agency": "ICE_ERO"})}
    for on_error in ("raise", "deny"):
        c = Client(url, on_error=on_error, retries=0)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequest) as info:
            c.decide(MappingProxyType(unknown))
        assert info.value.problems == ("request: unknown field(s) reason",)
        with pytest.raises(InvalidRequest) as info:
            c.decide(bad_enum)
        assert len(info.value.problems) == 1
        assert info.value.problems[0].startswith("counterpart.agency: must be one of ICE-ERO,")
        with pytest.raises(InvalidRequest, match=r"unknown field\(s\) reason"):
            c.decide_many([EXAMPLES[0]["input"], unknown])
        with pytest.raises(InvalidRequest, match=r"counterpart\.agency: must be one of"):
            c.decide_many([EXAMPLES[0]["input"], bad_enum])
        with pytest.raises(InvalidRequest, match="must be a DecisionRequest or a mapping"):
            c.decide(["action", "detain"])  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        sock.accept()


def test_a_mapping_is_checked_once_and_sent_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    walks = [0]
    check = models._check

    def counting(cls: type, data: object, path: str, problems: list[str]) -> None:
        walks[0] += cls is DecisionRequest
        check(cls, data, path, problems)

    def no_objects(*args: object, **kwargs: object) -> None:
        raise AssertionError("a mapping must not be turned into a DecisionRequest")

    monkeypatch.setattr(models, "_check", counting)
    monkeypatch.setattr(DecisionRequest, "__attrs_post_init__", no_objects)
    for example in EXAMPLES:
        doc = example["input"]
        walks[0] = 0
        assert input_json(doc) == json.dumps(doc, separators=(",", ":")).encode()
        assert walks[0] == 1
    nested = {**EXAMPLES[0]["input"], "actor": MappingProxyType(EXAMPLES[0]["input"]["actor"])}
    assert json.loads(input_json(MappingProxyType(nested))) == EXAMPLES[0]["input"]


def test_a_mapping_and_a_prebuilt_request_get_the_same_decisions(client: Client) -> None:
    docs = [e["input"] for e in EXAMPLES]
    docs.append({**docs[0], "actor": MappingProxyType(docs[0]["actor"])})
    prebuilt = [DecisionRequest.from_dict(d) for d in docs]
    from_docs = [without_id(client.decide(d)) for d in docs]
    assert from_docs == [without_id(client.decide(r)) for r in prebuilt]
    assert [without_id(d) for d in client.decide_many(docs)] == from_docs
    assert [summary(d) for d in from_docs[:-1]] == [e["expect"] for e in EXAMPLES]


def test_wrong_policy_path_is_an_engine_error(opa: LocalOPA) -> None:
    with pytest.raises(EngineError, match="not a decision document") as info:
        Client(opa.url, decision_path="trustpolicy/revision").decide(EXAMPLES[0]["input"])
    assert info.value.url == f"{opa.url}/v1/data/trustpolicy/revision"
    assert "must be a decision object" in (info.value.engine_message or "")
    with pytest.raises(EngineError, match="undefined"):
        Client(opa.url, decision_path="trustpolicy/no_such_rule").decide(EXAMPLES[0]["input"])
    with pytest.raises(EngineError, match="not a list of 12 decisions"):
        Client(opa.url, batch_path="trustpolicy/decision").decide_many(
            [e["input"] for e in EXAMPLES]
        )
    denied = Client(opa.url, decision_path="trustpolicy/no_such_rule", on_error="deny").decide(
        EXAMPLES[3]["input"]
    )
    assert (denied.outcome, denied.allowed) == ("deny", False)
    assert [v.rule for v in denied.violations] == ["TP-ENGINE-01"]


def test_http_error_carries_opas_message(opa_bin: Path, small_policy: Path, tmp_path: Path) -> None:
    authz = tmp_path / "authz"
    authz.mkdir()
    (authz / "authz.rego").write_text(AUTHZ)
    with LocalOPA(policies=[small_policy, authz], token="s3cret", opa=opa_bin) as engine:
        assert Client(engine.url, token="s3cret").decide(EXAMPLES[0]["input"]).outcome == "deny"
        with pytest.raises(EngineError) as info:
            Client(engine.url, token="wrong").decide(EXAMPLES[3]["input"])
        assert info.value.status == 401
        assert "unauthorized" in (info.value.engine_message or "")


def test_engine_killed_mid_run_fails_closed(opa_bin: Path, small_policy: Path) -> None:
    with LocalOPA(policies=small_policy, opa=opa_bin) as engine:
        raising = Client(engine.url, timeout=1, retries=0)
        denying = Client(engine.url, timeout=1, retries=0, on_error="deny")
        assert raising.decide(EXAMPLES[3]["input"]).policy_revision == "small"
        assert denying.decide(EXAMPLES[3]["input"]).violations == ()
        engine.kill()
        with pytest.raises(EngineUnavailable) as info:
            raising.decide(EXAMPLES[3]["input"])
        assert info.value.url == f"{engine.url}/v1/data/trustpolicy/decision"
        for decision in (
            denying.decide(EXAMPLES[3]["input"]),
            *denying.decide_many([e["input"] for e in EXAMPLES[:3]]),
        ):
            assert decision.allowed is False
            assert [v.rule for v in decision.violations] == ["TP-ENGINE-01"]
        assert raising.health() is False
        engine.start()
        assert raising.decide(EXAMPLES[3]["input"]).policy_revision == "small"


def test_slow_engine_past_the_timeout_fails_closed(slow_peer: str) -> None:
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match=r"no answer within 0\.3s"):
        Client(slow_peer, timeout=0.3).decide(EXAMPLES[3]["input"])
    decision = Client(slow_peer, timeout=0.3, on_error="deny").decide(EXAMPLES[3]["input"])
    assert time.monotonic() - started < 1.9
    assert decision.allowed is False
    assert "no answer within 0.3s" in decision.violations[0].message


def test_unknown_failure_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="on_error"):
        Client(on_error="allow")  # type: ignore[arg-type]


def test_a_missing_ca_bundle_fails_closed_in_deny_mode(tmp_path) -> None:
    # requests raises a bare OSError for a CA path that is gone: still a TP-ENGINE-01 deny.
    client = Client("https://127.0.0.1:9", on_error="deny", verify=str(tmp_path / "no-such-ca.pem"))
    decision = client.decide(
        {"action": "receive_detainer", "actor": {"agency": "BPD", "role": "police_officer"}}
    )
    assert decision.allowed is False
    assert decision.rules == {"TP-ENGINE-01"}
    with pytest.raises(EngineUnavailable):
        Client("https://127.0.0.1:9", verify=str(tmp_path / "no-such-ca.pem")).decide(
            {"action": "receive_detainer", "actor": {"agency": "BPD", "role": "police_officer"}}
        )


def test_configuration_errors_are_in_the_error_tree() -> None:
    with pytest.raises(ConfigError, match="on_error"):
        Client(on_error="allow")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="url must be"):
        Client("ftp://agent")
