"""Scale test of the PostgreSQL store (issue 18): agents, a balancer, two collectors, one DB.

Real processes throughout: a PostgreSQL server (initdb + pg_ctl, durable: fsync on), two
``trustpolicy collect`` processes on one database, N ``opa run`` agents (LocalOPA) that
decide for a while and ship their decision logs through a small load balancer here. The
balancer sends each upload to the collectors in turn, fails over to the other when one
does not answer, and re-sends a share of the uploads to the other collector too (a retry
after a lost answer), so both collectors receive the same decisions. Mid-run one collector
is killed (SIGKILL: its in-flight transactions abort) and started again on its port.

At the end every decision an agent answered must be in the database exactly once: the
same set of decision IDs, ``count(*) == count(DISTINCT decision_id)``, and the collectors'
``added`` answers summing to the row count.

    .venv/bin/python bench/pg_scale.py             # 8 agents, 30 s: writes bench/PG_SCALE.md
    .venv/bin/python bench/pg_scale.py --quick     # 2 agents, 8 s, prints only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pg_cluster import Balancer, CollectorProcess, free_port  # noqa: E402

from pg_server import PostgresServer  # noqa: E402
from trustpolicy import LocalOPA, RegisterKey, policies_dir  # noqa: E402

EXAMPLES = [e["input"] for e in json.loads((ROOT / "tests/data/worked-examples.json").read_text())]


def _drive(opa: LocalOPA, rate: float, stop: threading.Event, ids: list[str], seed: int) -> None:
    """Ask ``opa`` for decisions at about ``rate`` per second until ``stop``; keep the IDs."""
    rng = random.Random(seed)
    session = requests.Session()
    url = f"{opa.url}/v1/data/trustpolicy/decision"
    interval = 1.0 / rate
    due = time.monotonic()
    while not stop.is_set():
        resp = session.post(url, json={"input": rng.choice(EXAMPLES)}, timeout=10)
        resp.raise_for_status()
        ids.append(resp.json()["decision_id"])
        due += interval
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            due = time.monotonic()  # behind: do not burst to catch up
    session.close()


def _ceiling(lb: str, tokens: dict[str, str], seconds: float, batch: int, sent: list[str]) -> float:
    """Post synthetic uploads of ``batch`` events from one thread per agent for ``seconds``.

    What the two collectors and the database take when the agents are not the limit.
    Returns the elapsed time; the IDs sent are appended to ``sent``.
    """
    import gzip  # noqa: PLC0415
    import uuid  # noqa: PLC0415

    stop = threading.Event()
    lock = threading.Lock()

    def post(token: str, seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
        while not stop.is_set():
            ids = [str(uuid.uuid4()) for _ in range(batch)]
            events = [
                {
                    "decision_id": i,
                    "path": "trustpolicy/decision",
                    "input": rng.choice(EXAMPLES),
                    "result": {"outcome": "deny", "violations": [{"rule": "BTA-DET-01"}]},
                    "timestamp": "2026-06-01T12:00:00.123456789Z",
                    "bundles": {"trustpolicy": {"revision": "scale"}},
                }
                for i in ids
            ]
            body = gzip.compress(json.dumps(events).encode())
            resp = session.post(lb + "/logs", data=body, headers=headers, timeout=60)
            if resp.ok:
                with lock:
                    sent.extend(ids)
        session.close()

    threads = [
        threading.Thread(target=post, args=(token, k), daemon=True)
        for k, token in enumerate(tokens.values())
    ]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(90)
    return time.monotonic() - start


def run_scale(
    *,
    agents: int = 8,
    seconds: float = 30.0,
    rate: float = 40.0,
    resend: float = 0.2,
    restart_at: float | None = None,
    down_for: float = 3.0,
    work: Path,
    durable: bool = True,
    ceiling: float = 0.0,
    batch: int = 100,
) -> dict[str, Any]:
    """Run the scale test; return its figures (raises AssertionError if any decision is off)."""
    restart_at = seconds / 2 if restart_at is None else restart_at
    tokens = {f"agent-{i}": f"scale-token-{i}-" + "k" * 24 for i in range(agents)}
    (work / "tokens.json").write_text(json.dumps(tokens))
    RegisterKey.generate(work / "register.key")  # the collectors refuse to start without one
    with PostgresServer(durable=durable) as server:
        url = server.new_database("scale")
        pwfile = work / "db.pw"
        pwfile.write_text(server.app_password + "\n")
        pwfile.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTPOLICY_", "PG"))}
        migrate = [sys.executable, "-m", "trustpolicy", "db", "migrate", "--db", url]
        migrate += ["--db-password-file", str(pwfile)]
        subprocess.run(migrate, check=True, env=env, cwd=ROOT, capture_output=True)
        collectors = [
            CollectorProcess(n, url, (pwfile, work / "tokens.json"), free_port(), work)
            for n in ("collector-a", "collector-b")
        ]
        balancer = Balancer([c.url for c in collectors], resend)
        opas: list[LocalOPA] = []
        stop = threading.Event()
        ids: list[list[str]] = [[] for _ in range(agents)]
        try:
            for collector in collectors:
                collector.start()
            lb = balancer.start()
            for i, (agent, token) in enumerate(tokens.items()):
                config = {
                    "services": {
                        "collector": {"url": lb, "credentials": {"bearer": {"token": token}}}
                    },
                    "decision_logs": {
                        "service": "collector",
                        "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 2},
                    },
                    "labels": {"agent": agent},
                }
                opas.append(LocalOPA(policies=policies_dir(), config=config).start())
                del i
            drivers = [
                threading.Thread(target=_drive, args=(opa, rate, stop, ids[k], k), daemon=True)
                for k, opa in enumerate(opas)
            ]
            started = time.monotonic()
            for driver in drivers:
                driver.start()
            time.sleep(restart_at)
            collectors[0].kill()
            killed_at = time.monotonic() - started
            time.sleep(down_for)
            collectors[0].start()
            back_at = time.monotonic() - started
            time.sleep(max(0.0, seconds - (time.monotonic() - started)))
            stop.set()
            for driver in drivers:
                driver.join(30)
            decided_for = time.monotonic() - started
            issued = [i for per in ids for i in per]
            # Every agent flushes within a few upload cycles; wait for the last row.
            deadline = time.monotonic() + 90
            stored = 0
            while time.monotonic() < deadline:
                stored = _one(server, url, "SELECT count(*) FROM decisions")
                if stored >= len(issued):
                    break
                time.sleep(0.5)
            all_stored_at = time.monotonic() - started
            time.sleep(3)  # a few more upload cycles: nothing may arrive twice
            rows = _one(server, url, "SELECT count(*) FROM decisions")
            distinct = _one(server, url, "SELECT count(DISTINCT decision_id) FROM decisions")
            stored_ids = {r[0] for r in _rows(server, url, "SELECT decision_id FROM decisions")}
            ceiling_figures: dict[str, Any] = {}
            counted = {
                "added": balancer.added,
                "duplicates": balancer.duplicates,
                "uploads": balancer.uploads,
                "resent": balancer.resent,
                "failovers": balancer.failovers,
                "refused": balancer.refused,
            }
            lat = sorted(balancer.latencies)
            if ceiling > 0:
                balancer.latencies = []
                added_before = balancer.added
                synthetic: list[str] = []
                took = _ceiling(lb, tokens, ceiling, batch, synthetic)
                total = _one(server, url, "SELECT count(*) FROM decisions")
                total_distinct = _one(
                    server, url, "SELECT count(DISTINCT decision_id) FROM decisions"
                )
                assert total == total_distinct == rows + len(synthetic), (total, len(synthetic))
                clat = sorted(balancer.latencies)
                ceiling_figures = {
                    "ceiling_seconds": round(took, 1),
                    "ceiling_batch": batch,
                    "ceiling_decisions": len(synthetic),
                    "ceiling_decisions_per_s_stored": round(len(synthetic) / took, 1),
                    "ceiling_added_by_collectors": balancer.added - added_before,
                    "ceiling_upload_latency_ms_p50": round(1000 * statistics.median(clat), 1),
                    "ceiling_upload_latency_ms_p99": round(
                        1000 * clat[int(0.99 * (len(clat) - 1))], 1
                    ),
                    "ceiling_rows_total": total,
                }
        finally:
            stop.set()
            for opa in opas:
                opa.stop()
            balancer.stop()
            for collector in collectors:
                collector.stop()
    figures = {
        "agents": agents,
        "seconds": round(decided_for, 1),
        "rate_per_agent": rate,
        "resend_share": resend,
        "durable": durable,
        "decisions": len(issued),
        "unique_decision_ids": len(set(issued)),
        "rows": rows,
        "distinct_rows": distinct,
        "missing": len(set(issued) - stored_ids),
        "unexpected": len(stored_ids - set(issued)),
        "added_by_collectors": counted["added"],
        "duplicates_refused": counted["duplicates"],
        "uploads": counted["uploads"],
        "uploads_resent_to_other_collector": counted["resent"],
        "uploads_failed_over": counted["failovers"],
        "uploads_no_collector": counted["refused"],
        "collector_killed_at_s": round(killed_at, 1),
        "collector_back_at_s": round(back_at, 1),
        "all_stored_at_s": round(all_stored_at, 1),
        "decisions_per_s_stored": round(rows / all_stored_at, 1),
        "upload_latency_ms_p50": round(1000 * statistics.median(lat), 1) if lat else None,
        "upload_latency_ms_p99": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1) if lat else None,
        "upload_latency_ms_max": round(1000 * lat[-1], 1) if lat else None,
        **ceiling_figures,
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    assert figures["unique_decision_ids"] == figures["decisions"], figures
    assert figures["missing"] == 0, figures
    assert figures["unexpected"] == 0, figures
    assert rows == distinct == len(issued), figures
    # A killed collector may have committed a batch it never answered: the balancer then
    # re-sent it, and the other collector counted it a duplicate. Never more than the rows.
    assert counted["added"] <= rows, figures
    return figures


def _rows(server: PostgresServer, url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url, password=server.app_password) as conn:
        return conn.execute(sql.encode()).fetchall()


def _one(server: PostgresServer, url: str, sql: str) -> int:
    return int(_rows(server, url, sql)[0][0])


def _markdown(figures: dict[str, Any], command: str, when: str) -> str:
    f = figures
    rows = "\n".join(f"| {k} | {v} |" for k, v in f.items())
    achieved = f["decisions"] / f["seconds"] / f["agents"]
    text = [
        "# PostgreSQL store: scale test (issue 18)",
        "",
        f"`{command}` on {when}, on the shared 2-core development machine (other work",
        f"running: load average {f.get('load_average', '?')}), PostgreSQL 15 with fsync on.",
        "",
        f"{f['agents']} real `opa run` agents decided for {f['seconds']} s (paced at up to",
        f"{f['rate_per_agent']:g} decisions/s each; {achieved:.1f}/s each achieved) and shipped",
        "their decision logs through a round-robin balancer to two `trustpolicy collect`",
        f"processes on one PostgreSQL database; {int(100 * f['resend_share'])}% of the uploads",
        "were sent to the other collector as well, and collector A was killed (SIGKILL) at",
        f"{f['collector_killed_at_s']} s and back at {f['collector_back_at_s']} s.",
        f"**Every decision was stored exactly once**: {f['rows']} rows, {f['distinct_rows']}",
        f"distinct decision IDs, {f['missing']} missing, {f['duplicates_refused']} duplicate",
        f"events refused by the unique key; {f['decisions_per_s_stored']} decisions/s stored,",
        f"upload latency p99 {f['upload_latency_ms_p99']} ms.",
    ]
    if "ceiling_decisions" in f:
        text += [
            "",
            "The agents' decision rate, not the store, sets that figure on this machine. To",
            "measure the store, one thread per agent then posted synthetic uploads of",
            f"{f['ceiling_batch']} events through the same balancer (same re-send share) for",
            f"{f['ceiling_seconds']} s: **{f['ceiling_decisions_per_s_stored']} decisions/s",
            f"stored**, upload latency p50 {f['ceiling_upload_latency_ms_p50']} ms and p99",
            f"{f['ceiling_upload_latency_ms_p99']} ms; again every decision exactly once",
            f"({f['ceiling_rows_total']} rows in all, all distinct).",
        ]
    text += [
        "",
        "| figure | value |",
        "|---|---|",
        rows,
        "",
        "`decisions_per_s_stored` is rows over the time from the first decision to the last",
        "row stored (it includes the agents' 1-2 s upload delay); upload latency is measured",
        "at the balancer, per upload answered 2xx (a failed-over upload includes its failed",
        "attempt).",
        "",
    ]
    return "\n".join(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=40.0, help="decisions/s per agent")
    parser.add_argument("--resend", type=float, default=0.2)
    parser.add_argument(
        "--ceiling", type=float, default=10.0, help="then s of synthetic uploads (0: none)"
    )
    parser.add_argument("--batch", type=int, default=100, help="events per synthetic upload")
    parser.add_argument("--quick", action="store_true", help="2 agents, 8 s, no files written")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "PG_SCALE.md")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.seconds, args.ceiling = 2, 8.0, 3.0
    import tempfile  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="pg-scale-") as tmp:
        figures = run_scale(
            agents=args.agents,
            seconds=args.seconds,
            rate=args.rate,
            resend=args.resend,
            work=Path(tmp),
            ceiling=args.ceiling,
            batch=args.batch,
        )
    print(json.dumps(figures, indent=2))
    if not args.quick:
        command = "python bench/pg_scale.py " + " ".join(sys.argv[1:])
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        args.out.write_text(_markdown(figures, command.strip(), when))
        args.out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n")
        print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
