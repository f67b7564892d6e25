"""The one-command demo, end to end, as `make demo` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, WORKED_EXAMPLES

REPORT_DIR = ROOT / "var" / "demo"


def _opa_processes() -> set[int]:
    """PIDs of running opa processes started from this checkout's pinned binary."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"opa") and b"trustpolicy-opa-" in b" ".join(cmdline):
            found.add(int(proc.name))
    return found


def _demo() -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    proc = subprocess.run(
        [sys.executable, "-m", "trustpolicy", "demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_demo_runs_end_to_end_twice_and_leaves_no_process_behind() -> None:
    before = _opa_processes()
    _demo()
    out = _demo()  # a second run starts from a fresh store and works the same
    for number, case in enumerate(json.loads(WORKED_EXAMPLES.read_text()), start=1):
        title = case["name"].split(" ", 1)[1]
        rows = [line for line in out.splitlines() if line.startswith(f"W{number} ")]
        assert len(rows) == 1, f"worked example {number} missing"
        assert title in rows[0]
        assert case["expect"]["outcome"].upper() in rows[0]
        assert rows[0].endswith("[as expected]")
    for step in ("T1", "T2", "T3", "T4", "T5", "T6"):
        assert any(line.startswith(f"{step} ") for line in out.splitlines()), step
    assert "pretext guard" in " ".join(out.split())  # T3: the message, however wrapped
    # 18 cases, and the agent's share of the demo's year of detainers (6 receipts, 5 holds
    # or transfers asked); the rest of the register comes from the intake files.
    assert "29 decision logs stored" in out
    report = REPORT_DIR / "report.md"
    assert f"written to {report}" in out
    text = report.read_text()
    assert "29 decisions were logged" in text
    assert "detainer register: 50 detainers from 56 receipts (ICE lodged 60; 12 never" in out
    flat = " ".join(out.split())
    for line in ("On ICE's list 60", "Matched 48", "Matched by reference (keyed hash) 46",
                 "On ICE's list, never recorded 12", "Recorded, not on ICE's list 2"):  # fmt: skip
        assert line in flat, line
    for title in ("Detainer requests lodged, by reason given", "Federal reimbursements",
                  "People detained on a detainer, by reason given",
                  "People transferred to immigration authorities",
                  "Detainer requests received, one by one",
                  "Reconciliation with ICE's list of detainers lodged"):  # fmt: skip
        assert f"## {title}" in text, title
    assert "50 detainer requests were received" in text
    assert (REPORT_DIR / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "The Tara Construction steps as of 15 March 2017 and as of today" in out
    impact = (REPORT_DIR / "impact-2017.md").read_text()
    assert impact.startswith("# The demo's decisions under the law of 15 March 2017")
    assert "Replayed 29 of 29 stored decisions" in impact
    assert (REPORT_DIR / "impact-2017.html").read_text().count("<svg") == 2
    assert (REPORT_DIR / "report.pdf").read_bytes()[:5] == b"%PDF-"
    # The demo's detainer numbers (ICE-BOS-yy-nnnnn) are in no file it leaves behind.
    leftovers = [
        p.name for p in REPORT_DIR.iterdir() if p.is_file() and b"ICE-BOS-" in p.read_bytes()
    ]
    assert leftovers == []
    assert _opa_processes() <= before, "the demo left an opa process behind"


def _grams(data: bytes) -> list[bytes]:
    """The demo's reference prefixes found in ``data``, as written and as normalised."""
    return [g for g in (b"ICE-BOS-", b"ICEBOS") if g in data]
