"""Statistics and the Markdown of bench/RESULTS.md.

Everything between the analysis markers of an existing RESULTS.md is kept when the file
is regenerated: the measured tables are rewritten, the written analysis is not lost.
"""

from __future__ import annotations

import math
import os
import platform
import re
import subprocess
import sys
from importlib.metadata import version as pkg
from pathlib import Path
from typing import Any

ANALYSIS_START = "<!-- analysis: kept when run.py rewrites this file -->"
ANALYSIS_END = "<!-- /analysis -->"


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    data = sorted(values)
    if not data:
        return math.nan
    k = (len(data) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def machine(opa: Path) -> dict[str, str]:
    """Where the numbers were taken: cores, CPU, memory, kernel, versions."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    opa_version = subprocess.run(
        [str(opa), "version"], capture_output=True, text=True, check=False
    ).stdout
    version = re.search(r"Version: (\S+)", opa_version)
    go = re.search(r"Go Version: (\S+)", opa_version)
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "opa": f"{version.group(1) if version else '?'} ({go.group(1) if go else '?'})",
        "packages": ", ".join(
            f"{p} {pkg(p)}" for p in ("opa-python-client", "requests", "urllib3", "aiohttp")
        ),
    }


def _us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:,.0f}" if us >= 100 else f"{us:,.1f}"


def variant_rows(rows: list[dict[str, Any]], floor_s: float, raw: dict[str, Any]) -> list[str]:
    """The main table: one line per variant, per-call and per-decision figures."""
    out = [
        (
            "| # | variant | calls | median / call | p99 / call | median / decision (µs) "
            "| p99 / decision (µs) | decisions/s | client CPU µs/dec | OPA CPU µs/dec "
            "| median ÷ (1) | median ÷ (2) | throughput vs (2) |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per_call = f"{r['median'] * 1e3:,.3f} ms"
        p99_call = f"{r['p99'] * 1e3:,.3f} ms"
        med_dec, p99_dec = r["median"] / r["batch"], r["p99"] / r["batch"]
        out.append(
            f"| {r['no']} | {r['label']} | {r['calls']:,} | {per_call} | {p99_call} "
            f"| {_us(med_dec)} | {_us(p99_dec)} | {r['rate']:,.0f} "
            f"| {_us(r['client_cpu'])} | {_us(r['opa_cpu'])} "
            f"| {med_dec / floor_s:,.1f}x | {med_dec / (raw['median']):,.2f}x "
            f"| {r['rate'] / raw['rate']:,.2f}x |"
        )
    return out


def floor_rows(floor: list[dict[str, Any]], e2e: dict[str, Any] | None) -> list[str]:
    """The ``opa bench`` detail: every sampled input."""
    out = [
        "| input | action | outcome | ns/op | eval median ns | allocs/op | bytes/op | N |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {f['name']} | {f['action']} | {f['outcome']} | {f['ns_per_op']:,.0f} "
        f"| {f['eval_median_ns'] or 0:,.0f} | {f['allocs_per_op']:,.0f} "
        f"| {f['bytes_per_op']:,.0f} | {f['n']:,} |"
        for f in floor
    ]
    if e2e is not None:
        out.append(
            f"| **--e2e** {e2e['name']} | {e2e['action']} | {e2e['outcome']} "
            f"| {e2e['ns_per_op']:,.0f} | {e2e['eval_median_ns'] or 0:,.0f} "
            f"| {e2e['allocs_per_op']:,.0f} "
            f"| {e2e['bytes_per_op']:,.0f} | {e2e['n']:,} |"
        )
    return out


def keep_analysis(path: Path) -> str:
    """The hand-written analysis of the current file, or a placeholder."""
    if path.exists():
        text = path.read_text()
        start, end = text.find(ANALYSIS_START), text.find(ANALYSIS_END)
        if 0 <= start < end:
            return text[start : end + len(ANALYSIS_END)]
    return f"{ANALYSIS_START}\n_No analysis written yet._\n{ANALYSIS_END}"


def profile_rows(profile: list[dict[str, Any]], sources: Path) -> list[str]:
    """Top ``opa eval --profile`` rows, with the Rego line they point at."""
    out = ["| median ns | evals | location | Rego |", "|---:|---:|---|---|"]
    for row in profile:
        loc = row.get("location", {})
        file, line = loc.get("file", "?"), int(loc.get("row", 0))
        text = ""
        src = sources / file
        if src.is_file() and line > 0:
            lines = src.read_text().splitlines()
            text = lines[line - 1].strip() if line <= len(lines) else ""
        text = text.replace("|", "\\|")[:90]
        stats = row.get("total_time_ns_stats", {})
        out.append(
            f"| {stats.get('median', 0):,.0f} | {row.get('num_eval', 0)} "
            f"| {file}:{line} | `{text}` |"
        )
    return out


def breakdown_rows(parts: list[tuple[str, float, str]]) -> list[str]:
    """Per-request cost of each piece of the client path, measured in isolation."""
    out = ["| piece | µs / request | where |", "|---|---:|---|"]
    out += [f"| {name} | {_us(sec)} | {where} |" for name, sec, where in parts]
    return out


def fix_rows(rows: list[tuple[str, float, float]], problems: list[str] | None) -> list[str]:
    """Median per request of the shipped client, the candidate fixes and raw."""
    out = ["| client | median µs / request | ÷ raw |", "|---|---:|---:|"]
    out += [f"| {name} | {_us(med)} | {ratio:.2f}x |" for name, med, ratio in rows]
    if problems is None:
        return out
    if problems:
        out += ["", "Fix disagreements (these fixes are not safe as written):"]
        out += [f"- {p}" for p in problems[:20]]
    else:
        out += ["", ("Every fix returned the same decisions as the shipped client, and fix A "
                "refused every malformed request.")]  # fmt: skip
    return out


def ceiling_rows(rows: list[tuple[str, float, float]]) -> list[str]:
    """decide vs decide_many(1,000) when evaluation is free: the best the ratio can be."""
    out = [
        "| client | `decide` decisions/s | `decide_many` 1,000 decisions/s | ratio |",
        "|---|---:|---:|---:|",
    ]
    out += [f"| {n} | {seq:,.0f} | {many:,.0f} | {many / seq:.1f}x |" for n, seq, many in rows]
    return out
