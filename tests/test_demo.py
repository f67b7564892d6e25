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
    assert "18 decision logs stored" in out
    report = REPORT_DIR / "report.md"
    assert f"written to {report}" in out
    assert "18 decisions were logged" in report.read_text()
    assert (REPORT_DIR / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "The Tara Construction steps as of 15 March 2017 and as of today" in out
    impact = (REPORT_DIR / "impact-2017.md").read_text()
    assert impact.startswith("# The demo's decisions under the law of 15 March 2017")
    assert "Replayed 18 of 18 stored decisions" in impact
    assert (REPORT_DIR / "impact-2017.html").read_text().count("<svg") == 2
    assert _opa_processes() <= before, "the demo left an opa process behind"
