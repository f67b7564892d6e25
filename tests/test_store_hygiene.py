"""What the store keeps besides the masked input (issue 15, finding 13): labels and errors
as plain names only (never the free text an agent or OPA's error message may carry), and
the database file and its WAL readable by the collector's user alone.
"""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING

import requests

from city import decide, example, wait_for_count
from trustpolicy import policies_dir
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._collector import Collector

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "hygiene-agent-token-" + "h" * 16


def test_labels_and_errors_are_stored_as_plain_names_only(tmp_path: Path) -> None:
    event = {
        "decision_id": "d-1",
        "timestamp": "2026-06-01T12:00:00Z",
        "labels": {
            "app": "trustpolicy",
            "department": "district-c11",
            "id": "6f0c1b8e-1d2a-4c55-9a57-0a1b2c3d4e5f",
            "version": "1.22.3",
            "note": "Jane Roe, undocumented",
            "region": "C-11\n| forged | row |",
        },
        "input": example("detain", "deny"),
        "error": {"code": "internal_error", "message": "eval: input.subject_name 'Jane Roe'"},
    }
    forged = dict(event, decision_id="d-2", labels={"department": "x|\n# y"})
    forged["error"] = {"code": "Jane Roe <script>", "message": "x"}
    with Collector(tmp_path / "d.sqlite", {"district-c11": TOKEN}) as collector:
        answer = requests.post(
            f"{collector.url}/logs",
            data=json.dumps([event, forged]),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 403  # "x|\n# y" is not this agent's department
        forged["labels"] = {"department": "district-c11", "id": "x|\n# y"}
        answer = requests.post(
            f"{collector.url}/logs",
            data=json.dumps([event, forged]),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        stored = {d.decision_id: d for d in collector.store.decisions()}
    assert stored["d-1"].labels == {
        "app": "trustpolicy",
        "department": "district-c11",
        "id": "6f0c1b8e-1d2a-4c55-9a57-0a1b2c3d4e5f",
        "version": "1.22.3",
    }
    assert json.loads(stored["d-1"].error or "null") == {"code": "internal_error"}
    assert stored["d-2"].labels == {"department": "district-c11"}
    assert json.loads(stored["d-2"].error or "null") == {"code": "error"}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("d.sqlite*"))
    assert b"Jane Roe" not in raw
    assert b"forged" not in raw


def test_database_file_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite"
    with Collector(db, {"district-c11": TOKEN}) as collector:
        event = {"decision_id": "d-1", "timestamp": "2026-06-01T12:00:00Z", "input": {}}
        collector.store.add("district-c11", [event])
        files = sorted(tmp_path.glob("d.sqlite*"))
        assert [f.name for f in files] == ["d.sqlite", "d.sqlite-shm", "d.sqlite-wal"]
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    loose = tmp_path / "old.sqlite"
    loose.touch(mode=0o644)
    loose.chmod(0o644)
    with Collector(loose, {"district-c11": TOKEN}):
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600


def test_unknown_field_names_in_problem_messages_never_reach_the_store(tmp_path: Path) -> None:
    """A real agent on the real policies names the unknown field in TP-INPUT-01's problems."""
    data = example("detain", "deny") | {"jane_roe_overstayed_visa": True}
    with Collector(tmp_path / "d.sqlite", {"district-c11": TOKEN}) as collector:
        config = {
            "services": {
                "collector": {"url": collector.url, "credentials": {"bearer": {"token": TOKEN}}}
            },
            "decision_logs": {
                "service": "collector",
                "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
            },
        }
        with LocalOPA(policies=policies_dir(), config=config) as opa:
            answer = decide(opa, data)["result"]
            wait_for_count(collector.store, 1)
    problems = " ".join(p for v in answer["violations"] for p in v.get("problems", []))
    assert "jane_roe_overstayed_visa" in problems  # the engine did name it
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("d.sqlite*"))
    assert b"jane_roe" not in raw
