"""Reconciliation against ICE's list (issue 14): keyed hash first, then date and district.

The register is filled by the intake command and ICE's list is read from a CSV, as an
operator does; ``trustpolicy reconcile`` and the report's section are checked on the
same data, and the clear numbers from ICE's list reach no database file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from conftest import ROOT, TEST_REGISTER_KEY
from trustpolicy import InvalidRequest
from trustpolicy.record._reconcile import district_key, read_ice_list, reconcile_store
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from pathlib import Path

KEY = RegisterKey.from_text(TEST_REGISTER_KEY, "test key")
REGISTER = """received_at,district,form,received_via,reference
2026-02-03 10:00,C-11,I-247A,fax,ICE-26-0001
2026-02-03 17:30,C-11,I-247A,email,ice 26 0001
2026-03-10 09:00,B-2,I-247A,fax,ICE-26-0002
2026-04-21 11:15,D-4,I-247D,fax,ICE-26-0003
2026-05-05 08:00,A-1,I-247A,email,BPD-TYPO-77
2026-06-30 14:00,E-13,I-203,fax,ICE-26-0005
"""
ICE = """date,facility,reference
2026-02-02,BPD District C-11,ICE-26-0001
2026-03-10,BPD District B-2,ICE 26 0002
2026-05-05,BPD District A1,ICE-26-0004
2026-07-14,BPD District C-11,ICE-26-0006
2026-08-01,BPD District D-4,
2025-12-30,BPD District D-4,ICE-25-0999
"""


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    env["TRUSTPOLICY_REGISTER_KEY"] = TEST_REGISTER_KEY
    return subprocess.run(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "register.csv").write_text(REGISTER)
    (tmp_path / "ice.csv").write_text(ICE)
    db = tmp_path / "store" / "decisions.sqlite"
    proc = run("detainer", "import", "--db", db, "--source", "other", tmp_path / "register.csv")
    assert proc.returncode == 0, proc.stderr
    return {"db": db, "ice": tmp_path / "ice.csv", "dir": tmp_path}


def test_matches_by_keyed_reference_then_by_date_and_district(files: dict[str, Path]) -> None:
    with DecisionStore(files["db"]) as store:
        result = reconcile_store(store, read_ice_list(files["ice"], KEY), 2026)
    by = sorted((m.entry.line, m.by, m.detainer.first.district) for m in result.matched)
    assert by == [
        (2, "reference", "C-11"),  # ICE dates it a day before the fax arrived: same number
        (3, "reference", "B-2"),  # "ICE 26 0002" and "ICE-26-0002" are one number
        (4, "date and district", "A-1"),  # a mistyped number, same day and station
    ]
    assert [(e.line, e.lodged.isoformat(), e.district) for e in result.ice_only] == [
        (5, "2026-07-14", "C-11"),
        (6, "2026-08-01", "D-4"),
    ]  # the 2025 line is another year's
    assert sorted(d.first.district or "" for d in result.register_only) == ["D-4", "E-13"]
    assert (result.ice_total, result.register_total) == (5, 5)


def test_reconcile_command_lists_what_to_chase(files: dict[str, Path]) -> None:
    proc = run("reconcile", "--year", "2026", "--ice-list", files["ice"], "--db", files["db"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [" ".join(line.split()) for line in lines[:7]] == [
        "On ICE's list 5",
        "In the register 5",
        "Matched 3",
        "Matched by reference (keyed hash) 2",
        "Matched by date and district 1",
        "On ICE's list, never recorded 2",
        "Recorded, not on ICE's list 2",
    ]
    chase = lines[lines.index("On ICE's list but never recorded (to chase):") + 1 :][:2]
    assert [" ".join(c.split()) for c in chase] == [
        "2026-07-14 C-11 ICE list line 5",
        "2026-08-01 D-4 ICE list line 6",
    ]
    assert "ICE-26-0006" not in proc.stdout
    md = run("reconcile", "--ice-list", files["ice"], "--db", files["db"], "--year", "2026",
             "--format", "markdown").stdout  # fmt: skip
    assert "| On ICE's list, never recorded | 2 |" in md
    report = run("report", "--year", "2026", "--db", files["db"], "--ice-list", files["ice"])
    assert "## Reconciliation with ICE's list of detainers lodged" in report.stdout
    assert "ICE's list names 5 detainers" in report.stdout
    for path in files["db"].parent.iterdir():
        data = path.read_bytes()
        assert not [r for r in (b"ICE-26-0006", b"ICE260006", b"ICE-26-0004") if r in data]


def test_a_bad_ice_list_is_refused_by_line(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,district,reference\n2026-01-01,C-11,X\nlast tuesday,C-11,Y\n2026-02-01\n")
    with pytest.raises(InvalidRequest) as caught:
        read_ice_list(bad, KEY)
    assert caught.value.problems == (
        f"{bad} line 3: date: 'last tuesday' is not YYYY-MM-DD",
        f"{bad} line 4: row: expected 3 fields",
    )
    proc = run("reconcile", "--year", "2026", "--ice-list", bad, "--db", files["db"])
    assert proc.returncode == 2
    assert "line 3: date" in proc.stderr
    (tmp_path / "cols.csv").write_text("when,where\n")
    with pytest.raises(InvalidRequest, match="columns: must be date, district"):
        read_ice_list(tmp_path / "cols.csv", KEY)


def test_district_names_compare_as_station_codes() -> None:
    assert district_key("BPD District C-11") == district_key("c11") == "C-11"
    assert district_key("District A 1") == district_key("A-01") == "A-1"
    assert district_key("Headquarters") == "HEADQUARTERS"
    assert district_key(None) == ""


def test_reimbursements_with_bad_rows_are_refused_by_line(files: dict[str, Path]) -> None:
    bad = files["dir"] / "finance.csv"
    bad.write_text(
        "case,date,amount,program\n"
        'SCAAP-1,2026-04-30,"$1,000.00",SCAAP\n'
        "SCAAP-2,30/04/2026,12,SCAAP\n"
        ",2026-05-01,twelve,JAG\n"
        "JAG-3,2026-06-01,1.005,JAG\n"
    )
    proc = run("report", "--year", "2026", "--db", files["db"], "--reimbursements", bad)
    assert proc.returncode == 2
    assert proc.stderr.count(f"{bad} line") == 4
    assert f"{bad} line 3: date: '30/04/2026' is not YYYY-MM-DD" in proc.stderr
    assert f"{bad} line 4: case: required" in proc.stderr
    assert f"{bad} line 4: amount: 'twelve' is not an amount in dollars" in proc.stderr
    assert f"{bad} line 5: amount: '1.005' is not an amount in dollars" in proc.stderr
    assert proc.stdout == ""
    none = run("report", "--year", "2026", "--db", files["db"])
    assert "Federal reimbursements are not reported here" in none.stdout
