"""The detainer register (issue 14): one detainer once, its reference only as a keyed hash.

Real OPA agents log ``receive_detainer`` and ``detain`` decisions to a real collector; the
intake commands run as a user runs them. Every database and log file is scanned for the
clear reference afterwards. The register tests run on both store backends (``db``: a SQLite
file or a database on the session's PostgreSQL server).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from conftest import ROOT, TEST_REGISTER_KEY, store_raw_text
from trustpolicy import ConfigError, policies_dir
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._collector import Collector
from trustpolicy.record._register import detainers, parse_csv
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "register-agent-" + "r" * 24
REFERENCE = "ICE-2026-0004471"
ACTOR = {"agency": "BPD", "role": "police_officer", "district": "C-11"}
CIVIL = [{"type": "civil_detainer", "issued_by": "ice_officer"}]
DETAINER = {
    "form": "I-247A",
    "basis": ["biometric_records_match", "statements_or_evidence"],
    "received_via": "fax",
    "received_at": "2026-03-02T09:14:00-05:00",
    "reference": REFERENCE,
}
RECEIVED = {
    "action": "receive_detainer",
    "actor": ACTOR,
    "counterpart": {"agency": "ICE-ERO"},
    "authority": CIVIL,
    "detainer": DETAINER,
}
SECOND_FAX = {**RECEIVED, "detainer": {**DETAINER, "received_at": "2026-03-02T16:40:00-05:00"}}
HOLD = {
    "action": "detain",
    "actor": ACTOR,
    "subject": {"role": "arrestee", "in_custody": True, "eligible_for_release": True},
    "counterpart": {"agency": "ICE-ERO"},
    "authority": CIVIL,
    "detainer": {"reference": REFERENCE},
}
KEY = RegisterKey.from_text(TEST_REGISTER_KEY, "test key")


def opa_config(url: str) -> dict[str, Any]:
    return {
        "services": {"collector": {"url": url, "credentials": {"bearer": {"token": TOKEN}}}},
        "decision_logs": {
            "service": "collector",
            "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
        },
    }


def decide(opa: LocalOPA, data: dict[str, Any]) -> dict[str, Any]:
    url = f"{opa.url}/v1/data/trustpolicy/decision"
    resp = requests.post(url, json={"input": data}, timeout=10)
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


def clear_forms(reference: str) -> list[bytes]:
    """The reference as written, normalised, and in UTF-16 (SQLite may store either)."""
    plain = reference.replace("-", "")
    return [s.encode(enc) for s in (reference, plain) for enc in ("utf-8", "utf-16-le")]


def files_holding(root: Path, reference: str) -> list[str]:
    """Every file under ``root`` (databases, WAL, logs) whose bytes hold the reference."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [str(path) for form in clear_forms(reference) if form in data]
    return found


@pytest.fixture
def db(store_url: str) -> str:
    """A fresh store of each backend (the PostgreSQL password is in the environment)."""
    return store_url


def holding(db: str, root: Path, reference: str) -> list[str]:
    """Files under ``root`` and, for PostgreSQL, the register's and decisions' rows."""
    found = files_holding(root, reference)
    if "://" in db:
        tables = ("decisions", "detainer_receipts", "detainer_links", "register_key")
        text = store_raw_text(db, tables).encode()
        found += [db for form in clear_forms(reference) if form in text]
    return found


def run(*args: str | Path, stdin: str | None = None, key: bool = True) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    if "TRUSTPOLICY_DB_PASSWORD" in os.environ:  # a test on the PostgreSQL store
        env["TRUSTPOLICY_DB_PASSWORD"] = os.environ["TRUSTPOLICY_DB_PASSWORD"]
    if key:
        env["TRUSTPOLICY_REGISTER_KEY"] = TEST_REGISTER_KEY
    return subprocess.run(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_detainer_received_twice_is_one_detainer_and_a_hold_gives_its_disposition(
    db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Collector(db, {"agent-c11": TOKEN}) as collector:
        with LocalOPA(policies=policies_dir(), config=opa_config(collector.url)) as opa:
            ids = [decide(opa, d)["decision_id"] for d in (RECEIVED, SECOND_FAX, HOLD)]
            deadline = time.monotonic() + 20
            while collector.store.count() < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            opa_log = opa.log_text()
        store = collector.store
        assert store.register_count() == (1, 2)  # one detainer, two receipts
        receipts = store.receipts(since=_utc(2026, 1, 1), until=_utc(2027, 1, 1))
        (entry,) = detainers(receipts, store.named_detainers(r.reference_hash for r in receipts))
    assert entry.reference_hash == KEY.digest(REFERENCE)
    assert [r.receipt_id for r in entry.receipts] == ids[:2]
    assert entry.first.received_at.isoformat() == "2026-03-02T14:14:00+00:00"
    assert (entry.form, entry.basis, entry.received_via) == (
        "I-247A",
        ("biometric_records_match", "statements_or_evidence"),
        "fax",
    )
    assert entry.first.district == "C-11"
    (hold,) = entry.actions
    assert (hold.decision_id, hold.outcome) == (ids[2], "deny")  # a civil detainer holds nobody
    assert holding(db, tmp_path, REFERENCE) == []
    assert REFERENCE not in caplog.text
    assert REFERENCE not in opa_log


def _utc(*parts: int) -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime(*parts, tzinfo=UTC)


def test_the_collector_refuses_to_start_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTPOLICY_REGISTER_KEY")
    collector = Collector(tmp_path / "d.sqlite", {"agent": TOKEN})
    with pytest.raises(ConfigError, match=r"no detainer register key: set \$TRUSTPOLICY_REGISTER"):
        collector.start()
    assert "running=False" in repr(collector)
    monkeypatch.setenv("TRUSTPOLICY_REGISTER_KEY", "ab" * 8)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Collector(tmp_path / "d.sqlite", {"agent": TOKEN}).start()


def test_the_collector_refuses_a_key_other_than_the_registers(db: str) -> None:
    with Collector(db, {"agent": TOKEN}):
        pass  # keyed with the test key on first start
    other = RegisterKey.from_text("7f" * 32, "other")
    with pytest.raises(ConfigError, match="keyed with the key of fingerprint"):
        Collector(db, {"agent": TOKEN}, register_key=other).start()


def test_rekeying_wraps_every_hash_and_the_old_key_alone_no_longer_matches(
    db: str, tmp_path: Path
) -> None:
    csv_text = "received_at,district,reference\n2026-02-01 10:00,B-2,A-1\n2026-02-03,D-4,B-2\n"
    with DecisionStore(db) as store:
        store.add_receipts(parse_csv(csv_text, KEY, source="fax-log:t.csv"), KEY)
    new_key = tmp_path / "new.key"
    assert run("detainer", "keygen", new_key).returncode == 0
    assert new_key.stat().st_mode & 0o777 == 0o600
    chain_file = tmp_path / "chain.key"
    proc = run("detainer", "rekey", "--db", db, "--new-key-file", new_key, "--out", chain_file)
    assert proc.returncode == 0, proc.stderr
    assert "register re-keyed: 2 hashes" in proc.stdout
    chain = RegisterKey.from_file(chain_file)
    with DecisionStore(db) as store:
        stored = {
            r.reference_hash for r in store.receipts(since=_utc(2026, 1, 1), until=_utc(2027, 1, 1))
        }
        assert stored == {chain.digest("A-1"), chain.digest("b2")}  # normalised: case, dashes
        assert KEY.digest("A-1") not in stored
        with pytest.raises(ConfigError, match="keyed with"):
            store.bind_register_key(KEY)
        store.bind_register_key(chain)
    again = run("detainer", "rekey", "--db", db, "--new-key-file", new_key, "--out", tmp_path / "x")
    assert again.returncode == 2  # the old key is no longer the register's
    assert "keyed with" in again.stderr


def test_record_from_flags_and_json_and_a_second_receipt_is_the_same_detainer(
    db: str, tmp_path: Path
) -> None:
    flags = ("--received-at", "2026-04-07 08:30", "--district", "E-13", "--form", "I-247D")
    stdin = json.dumps({"reference": REFERENCE})
    first = run("detainer", "record", "--db", db, *flags, "--basis", "final_order_of_removal",
                "--via", "fax", "--json", "-", stdin=stdin)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "recorded (register: 1 detainers)" in first.stdout
    again = run("detainer", "record", "--db", db, *flags, "--via", "fax", "--json", "-",
                stdin=json.dumps({"reference": REFERENCE}))  # fmt: skip
    assert "already recorded: nothing added" in again.stdout
    mail = {"reference": REFERENCE.lower(), "received_at": "2026-04-07T10:02:00-04:00"}
    second = run("detainer", "record", "--db", db, "--via", "email", "--json", "-",
                 stdin=json.dumps(mail))  # fmt: skip
    assert "a further receipt of a detainer already recorded" in second.stdout
    bad = run("detainer", "record", "--db", db, "--json", "-",
              stdin=json.dumps({"received_at": "yesterday", "form": "I-999"}))  # fmt: skip
    assert bad.returncode == 2
    assert "reference: required" in bad.stderr
    assert "received_at: 'yesterday' is not a date or date-time" in bad.stderr
    assert "form: 'I-999' is not one of" in bad.stderr
    with DecisionStore(db) as store:
        assert store.register_count() == (1, 2)
    assert holding(db, tmp_path, REFERENCE) == []
    assert REFERENCE not in first.stdout + first.stderr + second.stdout


def test_a_csv_with_bad_rows_names_each_line_and_imports_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store" / "d.sqlite"
    good = tmp_path / "c11-fax.csv"
    good.write_text(
        "received_at,district,form,basis,reference\n"
        "2026-01-05 09:12,C-11,I-247A,biometric_records_match;statements_or_evidence,X-100\n"
        "2026-01-05 13:40,C-11,I-247A,biometric_records_match,X-100\n"  # the second fax
        "2026-02-11,C-11,I-203,,X-200\n"
    )
    bad = tmp_path / "mailbox.csv"
    bad.write_text(
        "received_at,district,form,basis,received_via,reference\n"
        "2026-03-01T10:00:00-05:00,A-1,I-247A,,email,Y-1\n"
        "2026-13-01,A-1,I-247A,,email,Y-2\n"
        "2026-03-02T10:00:00-05:00,A-1,I-247X,,email,Y-3\n"
        "2026-03-03T10:00:00-05:00,A-1,I-247A,guesswork,pigeon,Y-4\n"
        "2026-03-04T10:00:00-05:00,A-1,I-247A,,email,\n"
        "2026-03-05T10:00:00-05:00,A-1\n"
    )
    proc = run("detainer", "import", "--db", db, "--source", "mailbox", bad)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert "nothing was recorded" in lines[0]
    assert lines[1:] == [
        "  line 3: received_at: '2026-13-01' is not a date or date-time",
        "  line 4: form: 'I-247X' is not one of I-247A, I-247D, I-247N, I-203, other",
        "  line 5: received_via: 'pigeon' is not one of fax, email, electronic, in_person, other",
        (
            "  line 5: basis: 'guesswork' is not one of final_order_of_removal, "
            "removal_proceedings_pending, biometric_records_match, statements_or_evidence"
        ),
        "  line 6: reference: required (the number printed on the form)",
        "  line 7: row: expected 6 fields",
    ]
    with DecisionStore(db) as store:
        assert store.register_count() == (0, 0)  # not even the good first row
    proc = run("detainer", "import", "--db", db, "--source", "fax-log", good)
    assert proc.returncode == 0, proc.stderr
    assert "3 rows, 3 new receipts (0 already recorded), 2 new detainers" in proc.stdout
    proc = run("detainer", "import", "--db", db, "--source", "fax-log", good)
    assert "3 rows, 0 new receipts (3 already recorded), 0 new detainers" in proc.stdout
    with DecisionStore(db) as store:
        receipts = store.receipts(since=_utc(2026, 1, 1), until=_utc(2027, 1, 1))
    assert {r.received_via for r in receipts} == {"fax"}  # the fax log's channel
    assert files_holding(db.parent, "X-100") == files_holding(db.parent, "Y-1") == []
    headerless = tmp_path / "h.csv"
    headerless.write_text("when,where\n2026-01-01,A-1\n")
    proc = run("detainer", "import", "--db", db, "--source", "other", headerless)
    assert "line 1: header: missing column(s) received_at, reference" in proc.stderr


def test_intake_without_a_key_records_nothing(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite"
    proc = run("detainer", "record", "--db", db, "--received-at", "2026-01-01", "--json", "-",
               stdin=json.dumps({"reference": REFERENCE}), key=False)  # fmt: skip
    assert proc.returncode == 2
    assert "no detainer register key" in proc.stderr
    assert not db.exists()


def test_a_register_rekeyed_under_a_running_collector_stores_nothing_more(
    db: str, tmp_path: Path
) -> None:
    event = {
        "decision_id": "d-after-rekey",
        "path": "trustpolicy/decision",
        "timestamp": "2026-05-04T13:14:15Z",
        "input": RECEIVED,
        "result": {"outcome": "allow", "obligations": [{"rule": "BTA-RPT-01"}]},
    }
    with Collector(db, {"agent": TOKEN}) as collector:
        with DecisionStore(db) as other:
            other.rekey(KEY, RegisterKey.from_text("4d" * 32, "new key"))
        answer = requests.post(
            collector.url + "/logs",
            json=[event],
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 503  # OPA keeps the batch and retries it
        assert collector.store.count() == 0
    assert holding(db, tmp_path, REFERENCE) == []
