"""Load: several client threads for 30 s against one token-authenticated agent on loopback.

Zero errors, zero wrong decisions (each answer compared with the worked example's expected
outcome and rules), p99 latency printed, and the agent's resident memory before and after.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from trustpolicy import Client, Decision, LocalOPA, TrustPolicyError, build_bundle
from trustpolicy.contract._tokens import api_clients, generate_token, stage_policies

EXAMPLES = json.loads(
    (Path(__file__).parent / "data" / "worked-examples.json").read_text(encoding="utf-8")
)
DURATION = 30.0
THREADS = 4
MAX_PER_THREAD = 2_000_000  # a bound on the loop besides the clock


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover


def expected(index: int) -> tuple[str, frozenset[str]]:
    expect = EXAMPLES[index]["expect"]
    rules = [*expect["violations"], *expect["exceptions"], *expect["escalations"]]
    return expect["outcome"], frozenset(rules + expect["obligations"])


@pytest.mark.slow
def test_thirty_seconds_of_load_zero_errors_zero_wrong_decisions(tmp_path, policies) -> None:
    token = generate_token()
    staged = stage_policies(policies, tmp_path / "staged", api_clients({"load": token}))
    bundle = build_bundle(staged, tmp_path / "bundle.tar.gz", revision="load-1").path
    answers = [expected(i) for i in range(len(EXAMPLES))]
    latencies: list[list[float]] = [[] for _ in range(THREADS)]
    errors: list[str] = []
    wrong: list[str] = []

    def worker(n: int, url: str, deadline: float) -> None:
        own = latencies[n]
        with Client(url, token=token, timeout=5) as client:
            for i in range(MAX_PER_THREAD):
                if time.monotonic() >= deadline:
                    break
                index = (i + n) % len(EXAMPLES)
                started = time.perf_counter()
                try:
                    decision: Decision = client.decide(EXAMPLES[index]["input"])
                except TrustPolicyError as exc:  # counted, never retried into an answer
                    errors.append(repr(exc))
                    continue
                own.append(time.perf_counter() - started)
                outcome, rules = answers[index]
                if decision.outcome.value != outcome or decision.rules != rules:
                    wrong.append(f"{EXAMPLES[index]['name']}: {decision.outcome} {decision.rules}")

    with LocalOPA(bundle=bundle, token=token) as opa:
        assert opa.pid is not None
        with Client(opa.url, token=token) as warm:
            for _ in range(50):
                warm.decide_many(e["input"] for e in EXAMPLES)
        before = rss_kib(opa.pid)
        deadline = time.monotonic() + DURATION
        started = time.monotonic()
        threads = [
            threading.Thread(target=worker, args=(n, opa.url, deadline)) for n in range(THREADS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(DURATION + 30)
        elapsed = time.monotonic() - started
        after = rss_kib(opa.pid)

    every = sorted(x for own in latencies for x in own)
    count = len(every)
    p50, p99 = every[count // 2], every[min(count - 1, int(count * 0.99))]
    print(
        f"\nload: {THREADS} threads x {elapsed:.1f}s: {count} decisions, "
        f"{count / elapsed:.0f}/s, p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms, "
        f"max {every[-1] * 1e3:.1f} ms; opa RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB"
    )
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert wrong == []
    assert count > 1000
    assert p99 < 0.5
    assert after < before * 3 + 50 * 1024  # no unbounded growth over the run
