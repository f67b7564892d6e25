"""The collector against real OPA agents: nothing lost, nothing twice, nothing personal.

Every test runs on both store backends: a SQLite file and a real PostgreSQL server.
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import requests

from conftest import WORKED_EXAMPLES, store_query, store_raw_text
from trustpolicy import CollectorError, ConfigError, policies_dir
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._collector import Collector, collector_app
from trustpolicy.record._masking import project_input
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from pathlib import Path

    from pg_server import PostgresServer

TOKEN = "agent-c11-" + "x" * 24
EXAMPLES = json.loads(WORKED_EXAMPLES.read_text())
SCHEMA = policies_dir() / "trustpolicy" / "schema" / "input" / "data.json"

# Personal or non-contract facts an officer's system might send; none may be stored.
PERSONAL = {
    "action": "detain",
    "actor": {"agency": "BPD", "role": "police_officer", "district": "C-11", "badge": "B-99871"},
    "subject": {
        "role": "arrestee",
        "in_custody": True,
        "eligible_for_release": True,
        "charges": [{"severity": "misdemeanor"}],
        "immigration_status": "undocumented-XYZ",
    },
    "counterpart": {"agency": "ICE-ERO"},
    "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
    "purpose": "criminal_investigation",
    "criminal_case": {"id": "CASE-4471-SECRET", "statute": "8 USC 1326", "category": "other"},
    "occurred_at": "2026-03-01T10:00:00Z",
    "subject_name": "Jane Roe-Personal",
}
# What identifies a person never reaches the store. The statute, the charge severities and
# the time of the act are kept: a decision depends on them, and replay must be exact.
SECRETS = ("B-99871", "undocumented-XYZ", "CASE-4471-SECRET", "Jane Roe-Personal")
SECRETS += ("subject_name", "badge")


def opa_config(url: str, token: str = TOKEN) -> dict[str, Any]:
    """The decision_logs config agent_config writes, with one-second delays for tests."""
    return {
        "services": {"collector": {"url": url, "credentials": {"bearer": {"token": token}}}},
        "decision_logs": {
            "service": "collector",
            "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
        },
        "status": {"service": "collector"},
        "labels": {"district": "C-11"},
    }


def decide(opa: LocalOPA, data: dict[str, Any]) -> dict[str, Any]:
    resp = requests.post(
        f"{opa.url}/v1/data/trustpolicy/decision", json={"input": data}, timeout=10
    )
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


def wait_for_count(store: DecisionStore, n: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while store.count() < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.count() == n


@pytest.fixture
def db(store_url: str) -> str:
    """A fresh store of each backend (``sqlite`` file path, or ``postgresql://`` URL)."""
    return store_url


def test_every_decision_is_stored_exactly_once(db: str) -> None:
    inputs = [e["input"] for e in EXAMPLES] * 2
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        with LocalOPA(policies=policies_dir(), config=opa_config(collector.url)) as opa:
            answers = {(r := decide(opa, i))["decision_id"]: r["result"] for i in inputs}
            wait_for_count(collector.store, len(inputs))
            time.sleep(1.5)  # one more upload cycle: still nothing extra
        stored = {d.decision_id: d for d in collector.store.decisions()}
        assert set(stored) == set(answers)
        assert {k: d.outcome for k, d in stored.items()} == {
            k: r["outcome"] for k, r in answers.items()
        }
        assert {d.agent for d in stored.values()} == {"agent-c11"}
        assert "agent-c11" in collector.store.agent_status()  # the status plugin reports too


def test_collector_restart_loses_no_decision(db: str) -> None:
    collector = Collector(db, {"agent-c11": TOKEN}).start()
    port = collector.port
    try:
        with LocalOPA(policies=policies_dir(), config=opa_config(collector.url)) as opa:
            ids = [decide(opa, e["input"])["decision_id"] for e in EXAMPLES[:4]]
            wait_for_count(collector.store, 4)
            collector.stop()
            ids += [decide(opa, e["input"])["decision_id"] for e in EXAMPLES[4:]]
            time.sleep(2.5)  # OPA's uploads fail meanwhile; it keeps the events and retries
            collector = Collector(db, {"agent-c11": TOKEN}, port=port).start()
            wait_for_count(collector.store, len(EXAMPLES), timeout=20)
            assert "Log upload failed" in opa.log_text() or "log upload failed" in opa.log_text()
        assert sorted(d.decision_id for d in collector.store.decisions()) == sorted(ids)
    finally:
        collector.stop()


def _event(decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "path": "trustpolicy/decision",
        "input": data,
        "result": {"outcome": "allow", "allowed": True, "obligations": [{"rule": "BTA-RPT-01"}]},
        "timestamp": "2026-05-04T13:14:15.123456789Z",
        "labels": {"id": "agent-1"},
        "bundles": {"trustpolicy": {"revision": "2026.05"}},
    }


def _post(url: str, events: Any, token: str = TOKEN, path: str = "/logs") -> requests.Response:
    body = gzip.compress(json.dumps(events).encode())
    headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
    headers["Content-Type"] = "application/json"
    return requests.post(url + path, data=body, headers=headers, timeout=10)


def test_repeated_upload_creates_no_duplicate(db: str) -> None:
    batch = [_event(str(uuid.uuid4()), EXAMPLES[11]["input"]) for _ in range(3)]
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        first = _post(collector.url, batch)
        second = _post(collector.url, batch)
        third = _post(collector.url, [*batch, _event("new-one", EXAMPLES[0]["input"])])
        assert (first.status_code, first.json()) == (
            200,
            {"added": 3, "duplicates": 0, "not_decisions": 0},
        )
        assert (second.status_code, second.json()) == (
            200,
            {"added": 0, "duplicates": 3, "not_decisions": 0},
        )
        assert third.json() == {"added": 1, "duplicates": 3, "not_decisions": 0}
        assert collector.store.count() == 4
    rows = store_query(db, "SELECT count(*), count(DISTINCT decision_id) FROM decisions")
    assert rows == [(4, 4)]


def _raw_database_text(db: str) -> str:
    return store_raw_text(db, ("decisions", "agent_status"))


def test_masked_fields_never_reach_the_database(db: str) -> None:
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        with LocalOPA(policies=policies_dir(), config=opa_config(collector.url)) as opa:
            decide(opa, PERSONAL)
            wait_for_count(collector.store, 1)
        (stored,) = collector.store.decisions()
    assert stored.input == {  # malformed (unknown fields): no free text, so no agency or district
        "action": "detain",
        "actor": {"role": "police_officer"},
        "subject": {
            "role": "arrestee",
            "in_custody": True,
            "eligible_for_release": True,
            "charges": [{"severity": "misdemeanor"}],
        },
        "counterpart": {"agency": "ICE-ERO"},
        "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
        "purpose": "criminal_investigation",
        "criminal_case": {"category": "other"},  # no free text: no statute, no marker
        "occurred_at": "2026-03-01T10:00:00Z",
    }
    # The agent's mask did the work: the collector had nothing left to strip.
    assert store_query(db, "SELECT stripped FROM decisions") == [(0,)]
    text = _raw_database_text(db)
    assert [s for s in SECRETS if s in text] == []


def test_collector_strips_what_an_unmasked_agent_sends(
    db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "p.rego").write_text(
        'package trustpolicy\n\ndecision := {"outcome": "deny", "allowed": false, '
        '"violations": [{"rule": "BTA-DET-01", "message": "about CASE-4471-SECRET"}]}\n'
    )
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        with LocalOPA(policies=bare, config=opa_config(collector.url)) as opa:
            decide(opa, PERSONAL)
            wait_for_count(collector.store, 1)
        (stored,) = collector.store.decisions()
    assert stored.input == project_input(PERSONAL)
    assert stored.result == {
        "outcome": "deny",
        "allowed": False,
        "violations": [{"rule": "BTA-DET-01"}],
    }
    # badge, immigration_status and subject_name (the case number is replaced, not counted).
    assert store_query(db, "SELECT stripped FROM decisions") == [(3,)]
    assert [s for s in SECRETS if s in _raw_database_text(db)] == []
    assert "stripped before storing" in caplog.text
    assert [s for s in SECRETS if s in caplog.text] == []


def test_wrong_or_missing_token_is_refused_and_never_logged(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-token-" + "y" * 20
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        event = [_event("d-1", EXAMPLES[0]["input"])]
        assert _post(collector.url, event, token=wrong).status_code == 401
        assert _post(collector.url, event, token="").status_code == 401
        assert requests.post(collector.url + "/status", json={}, timeout=5).status_code == 401
        assert collector.store.count() == 0
    assert wrong not in caplog.text
    assert TOKEN not in caplog.text


def test_malformed_upload_is_refused_whole(db: str) -> None:
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        good = _event("d-1", EXAMPLES[0]["input"])
        no_id = {k: v for k, v in good.items() if k != "decision_id"}
        for body in ({"not": "a list"}, [good, no_id], [good, "text"], [{**good, "timestamp": 1}]):
            assert _post(collector.url, body).status_code == 400
        garbage = requests.post(
            collector.url + "/logs",
            data=b"\x1f\x8bnot gzip",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        assert garbage.status_code == 400
        assert collector.store.count() == 0


def test_partitioned_uploads_and_health(db: str) -> None:
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        assert requests.get(collector.url + "/health", timeout=5).status_code == 200
        assert _post(collector.url, [_event("d-9", {})], path="/logs/district-c11").ok
        assert collector.store.count() == 1


def test_bad_configuration_is_a_config_error(db: str) -> None:
    store = DecisionStore(db)
    with pytest.raises(ConfigError):
        collector_app(store, {})
    with pytest.raises(ConfigError):
        collector_app(store, {"agent": "short"})
    store.close()
    with Collector(db, {"a": TOKEN}) as first, pytest.raises(CollectorError):
        Collector(db, {"a": TOKEN}, port=first.port).start()


def test_unopenable_store_is_a_collector_error(tmp_path: Path, postgres: PostgresServer) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(CollectorError, match="cannot open decision store"):
        DecisionStore(tmp_path / "file" / "x.sqlite")
    with pytest.raises(CollectorError, match="does not exist"):
        DecisionStore(postgres.url("no_such_db"), password=postgres.app_password)


def _schema_fields(schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Each field of the JSON Schema with its enumeration (or type), by dotted path."""
    out: dict[str, Any] = {}
    for name, sub in schema.get("properties", {}).items():
        path = prefix + name
        item = sub.get("items", sub)
        if item.get("type") == "object":
            out |= _schema_fields(item, path + ".")
        else:
            out[path] = set(item.get("enum", [])) or item["type"]
    return out


def _full_sample(schema: dict[str, Any]) -> dict[str, Any]:
    """One valid value for every field of the schema (the first of each enumeration)."""

    def value(spec: dict[str, Any]) -> Any:
        if spec.get("type") == "object":
            return {k: value(v) for k, v in spec.get("properties", {}).items()}
        if spec.get("type") == "array":
            return [value(spec["items"])]
        if "enum" in spec:
            return spec["enum"][0]
        if spec.get("type") == "boolean":
            return True
        return "2026-03-01T10:00:00-05:00" if spec.get("format") == "date-time" else "x"

    full: dict[str, Any] = value(schema)
    return full


def test_mask_and_collector_projection_agree_and_follow_the_schema(opa_bin: Path) -> None:
    """The Rego mask and the collector's projection walk the same schema to the same result."""
    schema = json.loads(SCHEMA.read_text())
    full = _full_sample(schema)
    hostile = {
        **full,
        "name": "Jane Roe",
        "actor": {"agency": "B" * 129, "role": "sheriff", "district": "D-4\u202e", "x": 1},
        "subject": {"role": "victim", "in_custody": "yes", "charges": [{"severity": 3}, "x"]},
        "counterpart": {"agency": "ICE-ERO", "forwards_to": ["ICE-ERO", "NSA", {"a": 1}]},
        "authority": [{"type": "civil_detainer", "a_number": "A012"}, "x"],
        "occurred_at": "last Tuesday",
        "detainer": {"reference": "", "received_at": "2026-02-30T10:00:00Z", "form": "I-247A"},
        "information": "name",
    }
    docs = [full, hostile, PERSONAL, {"action": "detain"}, {}]
    query = "[m | some d in input.docs; m := data.system.log.mask with input as {'input': d}]"
    out = subprocess.run(
        [str(opa_bin), "eval", "-b", str(policies_dir()), "--stdin-input", "-f", "json",
         query.replace("'", '"')],
        input=json.dumps({"docs": docs}), capture_output=True, check=True, text=True,
    )  # fmt: skip
    masks = json.loads(out.stdout)["result"][0]["expressions"][0]["value"]
    for doc, mask in zip(docs, masks, strict=True):
        logged = mask[0]["value"] if mask else doc
        assert logged == project_input(doc), doc
    # A fully valid input is logged unchanged but for the case number's marker.
    assert project_input(full) == {
        **full,
        "criminal_case": {**full["criminal_case"], "id": "on-file"},
    }
