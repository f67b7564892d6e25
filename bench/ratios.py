"""Issue 17's table: the law's cost as ratios to a free policy, all measured in one run.

A free policy answers ``data.trustpolicy.decision`` and ``data.trustpolicy.batch`` with a
constant (``experiments._FREE_POLICY``). Each round, in an order that rotates, measures
``opa bench`` on worked example 10 for every policy, then per request on one slice of the
corpus raw keep-alive ``http.client`` and ``Client.decide`` (alternating request by request)
and one ``decide_many(1000)``, against an agent serving each policy; so load hits every
figure alike. An optional baseline bundle (the policies before a change) is measured in the
same rounds. Then the invariant suite's rate and each law agent's RSS after 100,000 decisions.
Every law variant must decide each request exactly as raw HTTP does (the whole document).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import corpus as corpus_mod
import floor as floor_mod
import report
import variants as v
from experiments import _FREE_POLICY

from trustpolicy import Client, Decision, LocalOPA, build_bundle
from trustpolicy.engine._tools import find_tool

ROOT = Path(__file__).resolve().parent.parent
BATCH = 1000
RSS_DECISIONS = 100_000


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def bench_once(opa: Path, bundle: Path, doc: dict[str, Any]) -> tuple[float, float]:
    """One ``opa bench`` run: (ns/op, p99 of the query's evaluation in ns)."""
    with tempfile.TemporaryDirectory(prefix="trustpolicy-ratio-") as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(doc))
        cmd = [str(opa), "bench", "-b", str(bundle), "-i", str(path), "--format", "json"]
        proc = subprocess.run(
            [*cmd, floor_mod.QUERY], capture_output=True, timeout=120, check=False
        )
    if proc.returncode != 0:
        raise RuntimeError(f"opa bench failed ({proc.returncode}): {proc.stderr[-500:]!r}")
    out = json.loads(proc.stdout)
    p99 = float(out.get("Extra", {}).get("histogram_timer_rego_query_eval_ns_99%", 0.0))
    return int(out["T"]) / int(out["N"]), p99


class Target:
    """One agent serving one policy, with a raw connection and an SDK client on it."""

    def __init__(self, name: str, opa: LocalOPA, docs: list[dict[str, Any]]) -> None:
        self.name, self.opa, self.docs = name, opa, docs
        parts = urlsplit(opa.url)
        self.conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=60
        )
        self.client = Client(opa.url, timeout=120)
        self.raw: list[float] = []
        self.decide: list[float] = []
        self.many: list[float] = []
        self.many_cpu: list[float] = []  # this process's CPU per decision of decide_many
        self.bench: list[float] = []
        self.bench_p99: list[float] = []
        self.answers: dict[int, Any] = {}
        self.failures: list[str] = []

    def raw_post(self, doc: dict[str, Any]) -> Any:
        body = json.dumps({"input": doc})
        self.conn.request("POST", v.DECISION, body, {"Content-Type": "application/json"})
        return json.loads(self.conn.getresponse().read())["result"]

    def per_request(self, docs: list[tuple[int, dict[str, Any]]], flip: bool) -> None:
        """Raw POST and Client.decide, alternating which goes first, request by request."""
        clock = time.perf_counter
        for k, (i, doc) in enumerate(docs):
            for which in ("raw", "sdk") if (k % 2 == 0) != flip else ("sdk", "raw"):
                t0 = clock()
                if which == "raw":
                    res = self.raw_post(doc)
                    self.raw.append(clock() - t0)
                    self.answers[i] = res
                else:
                    got = self.client.decide(doc)
                    self.decide.append(clock() - t0)
                    sdk = got
            self.compare(i, sdk, "decide")

    def batch(self, docs: list[tuple[int, dict[str, Any]]]) -> None:
        c0, t0 = time.process_time(), time.perf_counter()
        got = self.client.decide_many([d for _, d in docs])
        self.many.append((time.perf_counter() - t0) / len(docs))
        self.many_cpu.append((time.process_time() - c0) / len(docs))
        for (i, _), dec in zip(docs, got, strict=True):
            self.compare(i, dec, "decide_many")

    def compare(self, i: int, got: Decision, how: str) -> None:
        want = self.answers.get(i)
        if want is None:
            want = self.answers[i] = self.raw_post(self.docs[i])
        if attrs.evolve(got, decision_id=None) != Decision.from_result(want):
            self.failures.append(f"{self.name} {how} #{i} differs from raw HTTP")

    def close(self) -> None:
        self.conn.close()
        self.client.close()


def _median(xs: list[float]) -> float:
    return report.percentile(xs, 50)


def _p99(xs: list[float]) -> float:
    return report.percentile(xs, 99)


def _ratio(
    a: list[float], b: list[float], a_tail: list[float], b_tail: list[float]
) -> tuple[float, float, float, float]:
    """(median a / median b, p99 ratio, median a, median b); the p99 of per-round p99s is
    their median (``a_tail`` given as per-round p99 values), else of the samples."""
    tail = _median if a_tail is not a else _p99
    return (
        _median(a) / _median(b),
        tail(a_tail) / tail(b_tail),
        _median(a),
        _median(b),
    )


def invariant_rate(inputs: int = 20_000) -> tuple[float, str]:
    """Run the invariant suite on ``inputs`` decisions; its decisions per second."""
    env = {**os.environ, "TRUSTPOLICY_INVARIANT_INPUTS": str(inputs)}
    py = ROOT / ".venv" / "bin" / "python"
    cmd = [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_invariants.py"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    text = (ROOT / "var" / "invariants-summary.txt").read_text(encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"invariant suite failed:\n{proc.stdout[-2000:]}")
    found = re.search(r"([\d,.]+) decisions/s", text)
    if not found:
        raise RuntimeError(f"no decisions/s in the invariant summary:\n{text[:500]}")
    return float(found.group(1).replace(",", "")), text.splitlines()[0]


def measure(
    *,
    opa_bin: Path,
    docs: list[dict[str, Any]],
    example: dict[str, Any],
    law_bundle: Path,
    baseline_bundle: Path | None = None,
    rounds: int = 5,
    per_round: int = 300,
    rss_decisions: int = RSS_DECISIONS,
) -> dict[str, Any]:
    """Every figure of the table for the law (and the baseline) against the free policy."""
    with tempfile.TemporaryDirectory(prefix="trustpolicy-free-") as tmp:
        free_dir = Path(tmp) / "free"
        free_dir.mkdir()
        (free_dir / "free.rego").write_text(_FREE_POLICY)
        bundles = {"law": law_bundle, "free": free_dir}
        if baseline_bundle is not None:
            bundles["before"] = baseline_bundle
        agents = {
            name: LocalOPA(bundle=b, decision_logs=False) if b.is_file()
            else LocalOPA(policies=[b], decision_logs=False)
            for name, b in bundles.items()
        }  # fmt: skip
        targets: dict[str, Target] = {}
        loads = [os.getloadavg()[0]]
        try:
            for name, opa in agents.items():
                opa.start()
                targets[name] = Target(name, opa, docs)
            indexed = list(enumerate(docs))
            for t in targets.values():  # warm-up: caches, connections, the schema compiled
                t.per_request(indexed[:50], False)
                t.batch(indexed[:BATCH])
            names = list(targets)
            for r in range(rounds):
                chunk = indexed[(r * per_round) % len(docs) :][:per_round]
                batch = indexed[(r * BATCH) % len(docs) :][:BATCH]
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order:
                    t = targets[name]
                    ns, p99 = bench_once(opa_bin, bundles[name], example)
                    t.bench.append(ns)
                    t.bench_p99.append(p99)
                    t.per_request(chunk, r % 2 == 1)
                    t.batch(batch)
                loads.append(os.getloadavg()[0])
                print(f"ratios round {r + 1}/{rounds}, load {loads[-1]:.2f}", flush=True)
            rss = {}
            for name in [n for n in names if n != "free"]:
                t = targets[name]
                pid = t.opa.pid
                assert pid is not None
                before = rss_kib(pid)
                done = 0
                while done < rss_decisions:
                    t.client.decide_many(docs[done % len(docs) :][:BATCH])
                    done += BATCH
                rss[name] = (before, rss_kib(pid))
            loads.append(os.getloadavg()[0])
        finally:
            for t in targets.values():
                t.close()
            for opa in agents.values():
                opa.stop()
    free = targets["free"]
    failures = [f for t in targets.values() for f in t.failures]
    free_summaries = {v.summary(a) for a in free.answers.values()}
    if len(free_summaries) != 1:
        failures.append(f"the free policy answered {len(free_summaries)} different decisions")
    rows = {}
    for name in [n for n in names if n != "free"]:
        t = targets[name]
        rows[name] = {
            "bench": _ratio(t.bench, free.bench, t.bench_p99, free.bench_p99),
            "many": _ratio(t.many, free.many, t.many, free.many),
            "decide_raw": _ratio(t.decide, t.raw, t.decide, t.raw),
            # throughput ratio = sequential latency / per-decision latency in a batch
            "throughput": (
                _median(t.decide) / _median(t.many),
                _p99(t.decide) / _p99(t.many),
                1 / _median(t.many),
                1 / _median(t.decide),
            ),
            "rss": rss[name],
            "sdk_cpu": (_median(t.many_cpu), _median(t.many)),
        }
    free_row = _ratio(free.decide, free.raw, free.decide, free.raw)
    free_cpu = (_median(free.many_cpu), _median(free.many))
    return {"rows": rows, "free_decide_raw": free_row, "free_sdk_cpu": free_cpu, "loads": loads,
            "failures": failures, "rounds": rounds, "per_round": per_round,
            "rss_decisions": rss_decisions}  # fmt: skip


def render(m: dict[str, Any], rate: tuple[float, str] | None) -> list[str]:
    """The table of issue 17, one column per policy measured."""
    names = list(m["rows"])
    head = "| figure | " + " | ".join(f"{n}: median (p99)" for n in names) + " | target |"
    out = [head, "|---|" + "---:|" * len(names) + "---|"]

    def cell(x: tuple[float, ...], fmt: str) -> str:
        return f"{x[0]:{fmt}}x ({x[1]:{fmt}}x)"

    def us(x: float) -> str:
        return f"{x * 1e6:,.0f}"

    lines = [
        ("`opa bench` ns/op, worked example 10: law / free policy", "bench", ".1f", "<= 8x",
         lambda x: f"; {x[2] / 1000:,.0f} vs {x[3] / 1000:,.0f} µs"),
        ("`decide_many(1000)` per decision through one agent: law / free", "many", ".1f", "<= 2.5x",
         lambda x: f"; {us(x[2])} vs {us(x[3])} µs"),
        ("`Client.decide` / raw keep-alive `http.client` POST (law)", "decide_raw", ".2f",
         "<= 1.2x", lambda x: f"; {us(x[2])} vs {us(x[3])} µs"),
        ("`decide_many(1000)` throughput / sequential `decide` (law)", "throughput", ".1f", ">= 5x",
         lambda x: f"; {x[2]:,.0f} vs {x[3]:,.0f} decisions/s"),
    ]  # fmt: skip
    for label, key, fmt, target, extra in lines:
        cells = [cell(m["rows"][n][key], fmt) + extra(m["rows"][n][key]) for n in names]
        out.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")
    f = m["free_decide_raw"]
    out.append(
        "| `Client.decide` / raw `http.client`, same agent (free policy) | "
        + " | ".join(f"{f[0]:.2f}x ({f[1]:.2f}x); {us(f[2])} vs {us(f[3])} µs" for _ in names)
        + " | <= 1.2x |"
    )

    def share(cpu: float, wall: float) -> str:
        return f"{us(cpu)} of {us(wall)} µs ({cpu / wall:.0%})"

    cpu = [share(*m["rows"][n]["sdk_cpu"]) for n in names]
    out.append(
        "| `decide_many(1000)` per decision: the SDK's own CPU (building, checking, encoding,"
        " parsing) of the wall time; the rest is the agent | "
        + " | ".join(f"{c}; free policy {share(*m['free_sdk_cpu'])}" for c in cpu)
        + " | |"
    )
    rss = [
        f"{a / 1024:,.0f} → {b / 1024:,.0f} MiB" for a, b in (m["rows"][n]["rss"] for n in names)
    ]
    out.append(
        f"| agent RSS before → after {m['rss_decisions']:,} decisions | " + " | ".join(rss) + " | |"
    )
    if rate is not None:
        out.append(f"| invariant suite, decisions/s | {rate[0]:,.0f}" + " |" * len(names))
    loads = m["loads"]
    out += [
        "",
        (
            f"{m['rounds']} rounds of {m['per_round']} requests per request variant and one batch"
            f" of {BATCH:,} per policy; load average (1 min) {min(loads):.1f}-{max(loads):.1f}"
            " during the rounds. Ratios are of medians, and in brackets of p99s (for `opa bench`:"
            " the p99 of the query's evaluation time that `opa bench` reports, median over the"
            " rounds)."
        ),
    ]
    return out


def main() -> int:
    """Standalone: ``bench/ratios.py [--baseline REV]`` measures the working tree's policies."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", help="git revision whose policies are measured too")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--rss-decisions", type=int, default=RSS_DECISIONS)
    parser.add_argument("--no-invariants", action="store_true")
    args = parser.parse_args()
    docs, _ = corpus_mod.build(10_000)
    with tempfile.TemporaryDirectory(prefix="trustpolicy-ratios-") as tmp:
        law = build_bundle(ROOT / "policies", Path(tmp) / "law.tar.gz").path
        before = None
        if args.baseline:
            arch = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "policies"],
                                  capture_output=True, check=True).stdout  # fmt: skip
            (Path(tmp) / "base").mkdir()
            subprocess.run(["tar", "-x", "-C", str(Path(tmp) / "base")], input=arch, check=True)
            before = build_bundle(Path(tmp) / "base" / "policies", Path(tmp) / "before.tar.gz").path
        m = measure(
            opa_bin=find_tool("opa"),
            docs=docs,
            example=docs[9],
            law_bundle=Path(law),
            baseline_bundle=before and Path(before),
            rounds=args.rounds,
            per_round=args.per_round,
            rss_decisions=args.rss_decisions,
        )
    rate = None if args.no_invariants else invariant_rate()
    print("\n".join(render(m, rate)))
    for f in m["failures"][:10]:
        print("FAILED:", f, file=sys.stderr)
    return 1 if m["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
