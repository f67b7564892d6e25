"""A short run of bench/pg_scale.py: real agents, two collectors, one PostgreSQL database.

Two ``opa run`` agents decide for a few seconds and ship their decision logs through a
balancer to two ``trustpolicy collect`` processes on one database; a fifth of the uploads
reach both collectors, and one collector is killed and restarted mid-run. Every decision
must be stored exactly once (run_scale asserts it; the full run is ``bench/pg_scale.py``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from pg_scale import run_scale

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.slow
def test_two_collectors_one_restarted_store_every_decision_exactly_once(tmp_path: Path) -> None:
    figures = run_scale(agents=2, seconds=6.0, rate=20.0, resend=0.3, work=tmp_path)
    assert figures["decisions"] > 100
    assert figures["rows"] == figures["distinct_rows"] == figures["decisions"]
    assert figures["missing"] == 0
    assert figures["duplicates_refused"] > 0  # the same events did reach both collectors
    assert figures["uploads_failed_over"] + figures["uploads_no_collector"] > 0  # the kill bit
