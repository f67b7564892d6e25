"""The engine's own floor: ``opa bench`` (evaluation only) and ``opa bench --e2e``.

Each call runs the pinned opa on the same bundle file the server loaded, with one input
document written to a temporary file. ``opa eval`` on the same inputs gives the documents
the floor evaluated, so the run can check them against the other variants' answers.
"""

from __future__ import annotations

import json
import resource
import subprocess
import tempfile
from pathlib import Path
from typing import Any

QUERY = "data.trustpolicy.decision"


def _input_file(tmp: Path, index: int, doc: dict[str, Any]) -> Path:
    path = tmp / f"input-{index}.json"
    path.write_text(json.dumps(doc))
    return path


def children_cpu() -> float:
    """CPU seconds of finished child processes (the opa bench runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench(opa: Path, bundle: Path, doc: dict[str, Any], *, e2e: bool = False) -> dict[str, Any]:
    """Run ``opa bench`` once on one input; return ns/op, N and the process's CPU seconds."""
    with tempfile.TemporaryDirectory(prefix="trustpolicy-bench-") as tmp:
        path = _input_file(Path(tmp), 0, doc)
        cmd = [str(opa), "bench", "-b", str(bundle), "-i", str(path), "--format", "json"]
        if e2e:
            cmd += ["--e2e", "--shutdown-grace-period=1"]
        cpu0 = children_cpu()
        proc = subprocess.run([*cmd, QUERY], capture_output=True, timeout=120, check=False)
        cpu = children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"opa bench failed ({proc.returncode}): {proc.stderr[-500:]!r}")
    out = json.loads(proc.stdout)
    n, total = int(out["N"]), int(out["T"])
    extra = out.get("Extra", {})
    return {
        "ns_per_op": total / n,
        "n": n,
        "process_cpu_s": cpu,
        "allocs_per_op": out.get("MemAllocs", 0) / n,
        "bytes_per_op": out.get("MemBytes", 0) / n,
        "eval_median_ns": extra.get("histogram_timer_rego_query_eval_ns_median"),
    }


def evaluate(opa: Path, bundle: Path, doc: dict[str, Any]) -> Any:
    """The decision ``opa eval`` gives for one input (what ``opa bench`` evaluated)."""
    with tempfile.TemporaryDirectory(prefix="trustpolicy-bench-") as tmp:
        path = _input_file(Path(tmp), 0, doc)
        cmd = [str(opa), "eval", "-b", str(bundle), "-i", str(path), "--format", "json", QUERY]
        proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"opa eval failed ({proc.returncode}): {proc.stderr[-500:]!r}")
    out = json.loads(proc.stdout)
    return out["result"][0]["expressions"][0]["value"]


def profile(opa: Path, bundle: Path, doc: dict[str, Any], limit: int = 12) -> list[dict[str, Any]]:
    """``opa eval --profile`` for one input: the most expensive expressions, by time."""
    with tempfile.TemporaryDirectory(prefix="trustpolicy-bench-") as tmp:
        path = _input_file(Path(tmp), 0, doc)
        cmd = [
            str(opa),
            "eval",
            "-b",
            str(bundle),
            "-i",
            str(path),
            "--format",
            "json",
            "--profile",
            "--profile-sort",
            "total_time_ns",
            "--profile-limit",
            str(limit),
            "--count",
            "20",
            QUERY,
        ]
        proc = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"opa eval --profile failed: {proc.stderr[-500:]!r}")
    out = json.loads(proc.stdout)
    rows: list[dict[str, Any]] = out.get("aggregated_profile") or out.get("profile") or []
    return rows[:limit]
