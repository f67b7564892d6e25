"""One agent pre-empting another's record (issue 15, finding 5).

Agent B holds a valid collector token of its own. It learns a decision id of agent A (it
is in every answer A gives its callers) and uploads an "allow" under it before A's real
event arrives. Here A is a real agent (the config ``agent_config`` writes, real bundle
server, real collector) and B the forger: records are keyed on (agent, decision id), an
upload labelled as another agent is refused, and every clash is logged.
"""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
import requests

from city import Department, agent, build_city, decide, example, wait_for_count
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.record._collector import Collector
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from pathlib import Path

A = Department("district-a1")
B = Department("district-b2")


def forge(url: str, token: str, decision_id: str, labels: dict[str, str]) -> requests.Response:
    event: dict[str, Any] = {
        "decision_id": decision_id,
        "path": "trustpolicy/decision",
        "timestamp": "2026-06-01T12:00:00Z",
        "labels": labels,
        "input": example("detain", "deny"),
        "result": {"outcome": "allow", "allowed": True, "exceptions": [{"rule": "EXC-X"}]},
    }
    return requests.post(
        f"{url}/logs",
        data=gzip.compress(json.dumps([event]).encode()),
        headers={"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"},
        timeout=10,
    )


@pytest.mark.parametrize("claims", ["itself", "agent A"])
def test_another_agents_upload_never_displaces_a_record(tmp_path, policies, caplog, claims) -> None:
    city = build_city(tmp_path / "city", policies)
    tokens = {A.name: A.collector_token, B.name: B.collector_token}
    bundle_tokens = {A.name: A.bundle_token, B.name: B.bundle_token}
    with (
        BundleServer(bundle_tokens).start() as server,
        Collector(tmp_path / "d.sqlite", tokens) as collector,
        caplog.at_level(logging.WARNING, logger="trustpolicy.collector"),
    ):
        server.publish(city.bundle)
        slow = {"decision_log_delay_seconds": (3, 3)}  # B's forgery lands first
        with agent(city, A, server, collector, tmp_path / "a", **slow) as opa:
            answer = decide(opa, example("detain", "deny"))
            decision_id = answer["decision_id"]
            labels = {"department": B.name if claims == "itself" else A.name, "app": "x"}
            forged = forge(collector.url, B.collector_token, decision_id, labels)
            if claims == "agent A":
                assert forged.status_code == 403
            else:
                assert forged.status_code == 200
            wait_for_count(collector.store, 2 if claims == "itself" else 1)
        records = {(d.agent, d.decision_id): d for d in collector.store.decisions()}
    assert records[A.name, decision_id].outcome == "deny" == answer["result"]["outcome"]
    if claims == "itself":
        assert records[B.name, decision_id].outcome == "allow"  # B's claim, under B
        assert f"already logged by agent {B.name}" in caplog.text
    else:
        assert set(records) == {(A.name, decision_id)}
        assert "labelled as agent(s) district-a1" in caplog.text


def test_a_repeat_with_different_content_keeps_the_first_and_is_logged(tmp_path, caplog) -> None:
    token = "agent-a-collector-token-0123456789"
    with Collector(tmp_path / "d.sqlite", {A.name: token}) as collector:
        assert forge(collector.url, token, "d-1", {"department": A.name}).status_code == 200
        event = {
            "decision_id": "d-1",
            "timestamp": "2026-06-01T12:00:00Z",
            "labels": {"department": A.name},
            "input": example("detain", "deny"),
            "result": {"outcome": "deny"},
        }
        with caplog.at_level(logging.WARNING, logger="trustpolicy.collector"):
            again = requests.post(
                f"{collector.url}/logs",
                json=[event],
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        assert (again.json()["added"], again.json()["duplicates"]) == (0, 1)
        (stored,) = collector.store.decisions()
    assert stored.outcome == "allow"
    assert "re-sent decision d-1 with different content" in caplog.text


def test_a_store_keyed_on_decision_id_alone_is_rekeyed_without_loss(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    old = sqlite3.connect(db)
    old.executescript(
        """
        CREATE TABLE decisions (
            decision_id TEXT PRIMARY KEY, agent TEXT NOT NULL, timestamp TEXT NOT NULL,
            received_at TEXT NOT NULL, path TEXT NOT NULL, input TEXT NOT NULL, result TEXT,
            bundles TEXT NOT NULL, labels TEXT NOT NULL, error TEXT, stripped INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX decisions_by_time ON decisions (timestamp);
        INSERT INTO decisions VALUES ('d-1', 'district-a1', '2026-06-01T12:00:00+00:00',
            '2026-06-01T12:00:01+00:00', 'trustpolicy/decision', '{}', '{"outcome": "deny"}',
            '{}', '{}', NULL, 0);
        """
    )
    old.close()
    with DecisionStore(db) as store:
        assert [(d.agent, d.decision_id, d.outcome) for d in store.decisions()] == [
            ("district-a1", "d-1", "deny")
        ]
        event = {"decision_id": "d-1", "timestamp": "2026-06-01T12:00:00Z", "input": {}}
        assert store.add("district-b2", [event]).added == 1  # B's own record, beside A's
        assert store.count() == 2
    sql = sqlite3.connect(db).execute("SELECT sql FROM sqlite_master WHERE name='decisions'")
    assert "PRIMARY KEY (agent, decision_id)" in sql.fetchone()[0]
