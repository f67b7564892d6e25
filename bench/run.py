"""Benchmark the decision path against the engine's own floor (issue 7).

One corpus, one OPA, one bundle, one run: the variants of ``bench/variants.py`` and the
``opa bench`` floor take turns in rounds (the order rotates every round), after a warm-up,
so drift and other load hit all of them alike. The run fails (exit 1) if any variant's
decision differs from the raw HTTP answer for any request. Writes bench/RESULTS.md.

    .venv/bin/python bench/run.py            # full run: 10,000 requests, a few minutes
    .venv/bin/python bench/run.py --quick    # smoke run: 2,000 requests, under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_mod
import experiments
import floor as floor_mod
import ratios
import report
import variants as v
from breakdown import measure as breakdown
from verify import check

from trustpolicy import DecisionRequest, LocalOPA, build_bundle
from trustpolicy.engine._tools import find_tool

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def busy_cpu() -> float:
    """Machine-wide busy CPU seconds so far (all cores), from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts[:8]) - idle) / TICK


def policies_source(tmp: Path, worktree: bool) -> tuple[Path, str]:
    """The committed policies (``git archive HEAD``), or the working tree with --worktree."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if worktree:
        return ROOT / "policies", f"working tree at {head} (uncommitted changes included)"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD", "policies"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    return tmp / "policies", f"committed policies at {head}"


def baseline_bundle(tmp: Path, rev: str | None) -> Path | None:
    """A bundle of the policies at git revision ``rev``, to measure beside (None without)."""
    if not rev:
        return None
    (tmp / "baseline").mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "policies"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp / "baseline")], input=archive, check=True)
    return Path(build_bundle(tmp / "baseline" / "policies", tmp / "baseline.tar.gz").path)


def pick_floor_inputs(docs: list[dict[str, Any]], count: int) -> list[tuple[str, int]]:
    """The worked examples, then the largest generated request of each action."""
    picks = [(f"worked example {i + 1}", i) for i in range(min(12, count))]
    for action in corpus_mod.ACTIONS:
        idx = [i for i in range(12, len(docs)) if docs[i]["action"] == action]
        if idx and len(picks) < count:
            best = max(idx, key=lambda i: len(json.dumps(docs[i])))
            picks.append((f"largest {action}", best))
    return picks


def run(args: argparse.Namespace) -> int:
    opa_bin = find_tool("opa")
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    docs, bad = corpus_mod.build(args.size, args.seed)
    print(f"corpus: {len(docs):,} requests (+{len(bad)} malformed), seed {args.seed}")
    prebuilt = {id(d): DecisionRequest.from_dict(d) for d in docs}
    floor_inputs = pick_floor_inputs(docs, args.floor_samples)
    slices = [docs[i :: args.rounds] for i in range(args.rounds)]
    tmp = Path(tempfile.mkdtemp(prefix="trustpolicy-bench-"))
    src, src_note = policies_source(tmp, args.worktree)
    info = build_bundle(src, tmp / "bundle.tar.gz")
    print(f"bundle: {info.path} revision {info.revision} ({src_note})")

    with LocalOPA(bundle=info.path, decision_logs=args.decision_logs) as opa:
        pid = opa.pid
        assert pid is not None
        variants: list[v.Variant] = [
            v.RawHTTP(opa.url),
            v.OpaPythonClient(opa.url),
            v.Decide(opa.url),
            v.DecidePrebuilt(opa.url, prebuilt),
            v.DecideMany(opa.url, 100),
            v.DecideMany(opa.url, 1000),
            v.Async16(opa.url, args.in_flight),
        ]
        warm = docs[: args.warmup]
        for var in variants:
            var.run(warm)
        floor_mod.bench(opa_bin, info.path, docs[0])
        print(f"warm-up: {len(warm)} requests per variant, one opa bench")

        acc: dict[str, dict[str, Any]] = {
            var.name: {"samples": [], "results": {}, "wall": 0.0, "cpu": 0.0, "opa": 0.0}
            for var in variants
        }
        floor: list[dict[str, Any]] = []
        e2e: dict[str, Any] | None = None
        loads: list[float] = [os.getloadavg()[0]]
        ours0 = time.process_time() + proc_cpu(pid)
        busy0, wall0, kids0 = busy_cpu(), time.monotonic(), floor_mod.children_cpu()
        for r, chunk in enumerate(slices):
            jobs: list[Any] = [*variants, "floor"]
            shift = r % len(jobs)
            for job in jobs[shift:] + jobs[:shift]:
                if job == "floor":
                    for name, i in floor_inputs[r :: args.rounds]:
                        res = floor_mod.bench(opa_bin, info.path, docs[i])
                        floor.append({"name": name, "index": i, **res})
                    if r == args.rounds // 2:
                        e2e = {"name": "worked example 10", "index": 9}
                        e2e.update(floor_mod.bench(opa_bin, info.path, docs[9], e2e=True))
                    continue
                a = acc[job.name]
                c0, o0, w0 = time.process_time(), proc_cpu(pid), time.perf_counter()
                samples, results = job.run(chunk)
                a["wall"] += time.perf_counter() - w0
                a["cpu"] += time.process_time() - c0
                a["opa"] += proc_cpu(pid) - o0
                a["samples"].extend(samples)
                for j, res in enumerate(results):
                    a["results"][r + j * args.rounds] = res
            loads.append(os.getloadavg()[0])
            print(f"round {r + 1}/{args.rounds} done, load {loads[-1]:.2f}")
        wall = time.monotonic() - wall0
        ours = time.process_time() + proc_cpu(pid) - ours0 + floor_mod.children_cpu() - kids0
        others = max(0.0, busy_cpu() - busy0 - ours)

        failures = check(
            acc=acc, docs=docs, bad=bad, variants=variants, floor=floor, e2e=e2e,
            opa_bin=opa_bin, bundle=info.path,
        )  # fmt: skip
        parts = breakdown(opa.url, docs[: args.breakdown], acc["raw_http"]["results"])
        fixes, fix_problems = experiments.measure(opa.url, docs[: args.breakdown], bad)
        free = experiments.ceiling(docs[: args.breakdown])
        for var in variants:
            var.close()
        profile = []
        floor_med = report.percentile([f["ns_per_op"] for f in floor], 50)
        if floor_med >= 100_000 or args.profile:
            worst = max(floor, key=lambda f: f["ns_per_op"])
            profile = floor_mod.profile(opa_bin, info.path, docs[worst["index"]])
            profile_note = f"{worst['name']} (the slowest input under `opa bench`)"
        else:
            profile_note = ""

    issue17 = ratios.measure(
        opa_bin=opa_bin, docs=docs, example=docs[9], law_bundle=Path(info.path),
        baseline_bundle=baseline_bundle(tmp, args.baseline), rounds=args.ratio_rounds,
        per_round=args.ratio_requests, rss_decisions=args.rss_decisions,
    )  # fmt: skip
    failures += issue17["failures"]
    rate = None if args.invariant_inputs == 0 else ratios.invariant_rate(args.invariant_inputs)
    context = {
        "issue17": issue17, "rate": rate, "baseline": args.baseline,
        "started": started, "wall": wall, "others": others, "loads": loads, "docs": docs,
        "bad": bad, "info": info, "src_note": src_note, "floor": floor, "e2e": e2e,
        "acc": acc, "variants": variants, "failures": failures, "parts": parts,
        "fixes": fixes, "fix_problems": fix_problems, "free": free,
        "profile": profile, "profile_note": profile_note, "sources": src, "opa_bin": opa_bin,
    }  # fmt: skip
    text = render(args, context)
    if not args.no_write:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    print("\n".join(line for line in text.splitlines() if line.startswith(("| ", "**"))))
    if failures:
        print(f"FAILED: {len(failures)} mismatches; first: {failures[0]}", file=sys.stderr)
        return 1
    return 0


def render(args: argparse.Namespace, c: dict[str, Any]) -> str:
    """The whole RESULTS.md."""
    m = report.machine(c["opa_bin"])
    floor_ns = [f["ns_per_op"] for f in c["floor"]]
    floor_med, floor_max = report.percentile(floor_ns, 50), max(floor_ns)
    rows = []
    numbers = {"raw_http": 2, "opa_client": 3, "decide": 4, "decide_prebuilt": "4b"}
    for var in c["variants"]:
        a = c["acc"][var.name]
        n = len(a["results"])
        rows.append({
            "no": numbers.get(var.name, 5 if var.batch > 1 else 6), "label": var.label,
            "batch": var.batch, "calls": len(a["samples"]),
            "median": report.percentile(a["samples"], 50),
            "p99": report.percentile(a["samples"], 99), "rate": n / a["wall"],
            "client_cpu": a["cpu"] / n, "opa_cpu": a["opa"] / n,
        })  # fmt: skip
    by = {var.name: row for var, row in zip(c["variants"], rows, strict=True)}
    raw, dec, many = by["raw_http"], by["decide"], by["decide_many_1000"]
    t1 = dec["median"] / raw["median"]
    t2 = many["rate"] / dec["rate"]
    targets = [
        ("`Client.decide` median within 1.5x of raw `http.client`", f"{t1:.2f}x", t1 <= 1.5),
        ("`decide_many` batch 1,000 ≥ 10x sequential `decide` throughput", f"{t2:.1f}x", t2 >= 10),
        ("`opa bench` < 100 µs per decision (median of inputs)", (f"{floor_med / 1e3:,.0f} µs "
         f"(max {floor_max / 1e3:,.0f} µs)"), floor_med < 100_000),
    ]  # fmt: skip
    answers = list(c["acc"]["raw_http"]["results"].values())
    mix = {
        k: sum(1 for a in answers if a.get("outcome") == k) for k in ("allow", "deny", "escalate")
    }
    rejected = sum(1 for a in answers if "TP-INPUT-01" in v.summary(a)[1])
    n_bad = len(c["failures"])
    verdict = "all identical" if not n_bad else f"{n_bad} MISMATCHES"
    cmd = shlex.join([".venv/bin/python", "bench/run.py", *sys.argv[1:]])
    loads = c["loads"]
    lines = [
        "# Benchmark: the decision path against the engine's floor",
        "",
        (
            f"Generated by `{cmd}` (`make bench` runs the same) on {c['started']}; "
            f"{c['wall']:.0f} s of measured rounds. Do not edit the tables by hand: rerun."
        ),
        "",
        "## Issue 17: the law against a free policy (ratios measured in one run)",
        "",
        (
            "`law` is the policies measured"
            + (f"; `before` the policies at `{c['baseline']}`" if c["baseline"] else "")
            + ". The free policy answers the same entry points with a constant decision."
        ),
        "",
        *ratios.render(c["issue17"], c["rate"]),
        "",
        "## Targets",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        *(f"| {t} | {val} | {'PASS' if ok else 'MISS'} |" for t, val, ok in targets),
        "",
        (
            f"**Decisions checked: {len(c['docs']):,} requests x {len(c['variants'])} variants, "
            f"{len(c['floor'])} `opa bench` inputs, {len(c['bad'])} malformed requests: "
            f"{verdict}.**"
        ),
        "",
        "## Results",
        "",
        (
            f"(1) `opa bench` floor: median {floor_med:,.0f} ns/op over {len(c['floor'])} inputs, "
            f"max {floor_max:,.0f} ns/op. (2) raw `http.client`. Latency per decision = latency "
            "per call ÷ batch size; for async it is each request's own time with the others in "
            "flight. "
            "CPU per decision: this Python process (`time.process_time`) and the OPA server "
            "(`/proc/<pid>/stat` utime+stime, 10 ms ticks, summed over all rounds)."
        ),
        "",
        *report.variant_rows(rows, floor_med / 1e9, raw),
        "",
        "### `opa bench` per input (evaluation only; `--e2e` goes through OPA's HTTP server)",
        "",
        *report.floor_rows(c["floor"], c["e2e"]),
        "",
        "### Where the client's time goes (each piece alone, in this process)",
        "",
        *report.breakdown_rows(c["parts"]),
        "",
        (
            f"### SDK fixes (bench/experiments.py; fixes A and B are in the SDK, B as its own "
            f"transport (client/_transport.py) that sends each request in one write; "
            f"{args.breakdown:,} requests, interleaved request by request)"
        ),
        "",
        *report.fix_rows(c["fixes"], c["fix_problems"]),
        "",
        "### The same clients against a policy that costs nothing to evaluate",
        "",
        (
            "What is left once the policy is free: transport, OPA's HTTP and JSON work, the SDK. "
            "This is where the decide target goes once the Rego meets its own target, and the "
            "best the batch ratio can be."
        ),
        "",
        *report.fix_rows(c["free"][0], None),
        "",
        *report.ceiling_rows(c["free"][1]),
        "",
    ]
    if c["profile"]:
        lines += [
            f"### `opa eval --profile` (20 evaluations), {c['profile_note']}",
            "",
            *report.profile_rows(c["profile"], c["sources"]),
            "",
        ]
    lines += [
        "## Setup",
        "",
        (
            f"- Machine: {m['nproc']} cores (`nproc`), {m['cpu']}, {m['memory']} RAM, "
            f"Linux {m['kernel']}."
        ),
        f"- Python {m['python']}; OPA {m['opa']}; {m['packages']}.",
        (
            f"- Load: 1-min load average {loads[0]:.2f} at start, {max(loads):.2f} peak, "
            f"{loads[-1]:.2f} at end; other processes used {c['others']:.1f} CPU-seconds during "
            f"the {c['wall']:.0f} s of rounds ({c['others'] / c['wall']:.2f} cores on average)."
        ),
        (
            f"- Policy: bundle revision `{c['info'].revision}` built with `build_bundle` from the "
            f"{c['src_note']}; one `LocalOPA(bundle=...)` on loopback, decision logs "
            f"{'on (console)' if args.decision_logs else 'off'}."
        ),
        (
            f"- Corpus: {len(c['docs']):,} requests, seed {args.seed}: the 12 worked examples, "
            "every action x counterpart x authority combination, seeded variations (3% of them "
            "incomplete or out of schema, denied by the engine with TP-INPUT-01), plus "
            f"{len(c['bad'])} malformed requests checked apart (the SDK refuses them before I/O). "
            f"Answers: {mix['allow']:,} allow, {mix['deny']:,} deny ({rejected:,} of them "
            f"TP-INPUT-01), {mix['escalate']:,} escalate."
        ),
        (
            f"- Schedule: warm-up of {args.warmup} requests per variant and one `opa bench`, then "
            f"{args.rounds} rounds; each round gives every variant the same 1/{args.rounds} of the "
            "corpus and runs part of the floor, in an order that rotates every round."
        ),
        "",
        "## Analysis",
        "",
        report.keep_analysis(args.out),
        "",
    ]
    if c["failures"]:
        lines += ["## Mismatches (first 50)", "", *(f"- {f}" for f in c["failures"][:50]), ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 requests, 4 rounds")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--floor-samples", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--breakdown", type=int, default=2000, help="requests for the breakdown")
    parser.add_argument("--worktree", action="store_true", help="uncommitted policies too")
    parser.add_argument("--decision-logs", action="store_true", help="console decision logs")
    parser.add_argument("--profile", action="store_true", help="opa eval --profile always")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--baseline", help="git revision whose policies are measured beside")
    parser.add_argument("--ratio-rounds", type=int, default=5)
    parser.add_argument("--ratio-requests", type=int, default=300, help="per round and policy")
    parser.add_argument("--rss-decisions", type=int, default=ratios.RSS_DECISIONS)
    parser.add_argument("--invariant-inputs", type=int, default=20_000, help="0: skip the suite")
    args = parser.parse_args()
    if args.quick:
        args.size, args.rounds, args.floor_samples, args.warmup = 2000, 4, 8, 200
        args.breakdown, args.ratio_rounds, args.ratio_requests = 500, 2, 100
        args.rss_decisions, args.invariant_inputs = 10_000, 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
