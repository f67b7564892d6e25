"""The demo's temporary directory (development private key, tokens) on every exit path
(issue 15, finding 10): the real ``trustpolicy demo`` process is stopped by Ctrl-C,
SIGTERM or SIGHUP once its agent runs, and leaves neither the directory nor an agent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from conftest import ROOT
from trustpolicy.cli._demo import _sweep_stale

if TYPE_CHECKING:
    from pathlib import Path

READY = "has verified and activated the signed bundle"


def _left(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("trustpolicy-"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_demo_stopped_by_a_signal_removes_its_keys_and_tokens(tmp_path, signum) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    env |= {"TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustpolicy", "demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while not any(READY in line for line in seen):
            assert time.monotonic() < deadline, "".join(seen)
            line = proc.stdout.readline()
            assert line, "the demo ended before its agent ran:\n" + "".join(seen)
            seen.append(line)
        (demo_dir,) = [p for p in tmp_path.iterdir() if p.name.startswith("trustpolicy-demo-")]
        assert (demo_dir / "keys" / "demo.key.pem").is_file()  # the secret exists right now
        proc.send_signal(signum)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 130, rest
    assert "interrupted" in rest
    assert _left(tmp_path) == []  # neither the demo's directory nor the agent's


def test_a_directory_left_by_a_killed_demo_is_removed_by_the_next(tmp_path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    stale = tmp_path / "trustpolicy-demo-stale"
    (stale / "keys").mkdir(parents=True)
    (stale / "keys" / "demo.key.pem").write_text("private")
    (stale / "demo.pid").write_text(str(dead.pid))
    live = tmp_path / "trustpolicy-demo-live"
    live.mkdir()
    (live / "demo.pid").write_text(str(os.getpid()))
    foreign = tmp_path / "trustpolicy-demo-foreign"  # not the demo's: no pid file
    foreign.mkdir()
    _sweep_stale(tmp_path)
    assert _left(tmp_path) == ["trustpolicy-demo-foreign", "trustpolicy-demo-live"]
