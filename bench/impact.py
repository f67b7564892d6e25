"""Impact analysis at scale: replay N stored decisions (default 100,000) through a real OPA.

Not part of the tests. One command::

    .venv/bin/python bench/impact.py                 # 100,000 rows
    .venv/bin/python bench/impact.py --rows 20000    # quicker

The rows are written straight into a temporary SQLite store (no agent, no collector): the
benchmark corpus (``corpus.py``), reduced to what the collector keeps (``project_input``),
is decided once by OPA on the bundle built from the checkout's policies, and each row gets
one of those decisions with a timestamp spread over this year up to now (Boston). Then
``replay_decisions`` replays every row on the same bundle, which must change nothing, and
again as of 2017-03-15, which shows what the 2019 amendment and Lunn added. Prints the
times and the counts; exits 1 if the same-bundle replay changes anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from trustpolicy import DecisionStore, LocalOPA, build_bundle, policies_dir, project_input
from trustpolicy.cli._cli_versions import parse_as_of
from trustpolicy.record._impact import BOSTON, replay_decisions


def decide_pool(bundle: Path, pool: list[dict]) -> list[dict]:
    with LocalOPA(bundle=bundle, decision_logs=False) as opa, requests.Session() as http:
        http.trust_env = False
        out: list[dict] = []
        for i in range(0, len(pool), 500):
            answer = http.post(
                f"{opa.url}/v1/data/trustpolicy/batch",
                json={"input": {"requests": pool[i : i + 500]}},
                timeout=120,
            )
            answer.raise_for_status()
            out += answer.json()["result"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=2_000, help="distinct inputs")
    args = parser.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory(prefix="trustpolicy-impact-") as tmp:
        bundle = Path(tmp) / "trustpolicy.tar.gz"
        build_bundle(policies_dir(), bundle)
        documents, _ = corpus.build(args.pool)
        pool = [project_input(d) for d in documents]
        started = time.monotonic()
        results = decide_pool(bundle, pool)
        print(f"decided {len(pool)} distinct inputs in {time.monotonic() - started:.1f} s")
        now = dt.datetime.now(BOSTON)
        year_start = dt.datetime(now.year, 1, 1, tzinfo=BOSTON)
        span = (now - year_start).total_seconds() - 3600
        started = time.monotonic()
        store = DecisionStore(Path(tmp) / "decisions.sqlite")
        for start in range(0, args.rows, 5_000):
            events = []
            for _ in range(min(5_000, args.rows - start)):
                k = rng.randrange(len(pool))
                stamp = year_start + dt.timedelta(seconds=rng.uniform(0, span))
                events.append(
                    {
                        "decision_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "path": "trustpolicy/decision",
                        "input": pool[k],
                        "result": results[k],
                        "timestamp": stamp.astimezone(dt.UTC).isoformat(),
                        "labels": {"id": "bench"},
                        "bundles": {},
                    }
                )
            store.add("bench", events)
        print(f"stored {store.count()} rows in {time.monotonic() - started:.1f} s")
        load = os.getloadavg()[0]

        def progress(done: int, stored: int) -> None:
            if done % 20_000 < 500:
                print(f"  replayed {done} of {stored} so far", flush=True)

        same = replay_decisions(store, bundle, progress=progress)
        rate = same.replayed / same.seconds
        print(
            f"same bundle: replayed {same.replayed} in {same.seconds:.1f} s ({rate:.0f}/s, "
            f"{same.asked} distinct inputs asked), {len(same.changes)} changed; "
            f"outcomes {dict(same.before)} -> {dict(same.after)}"
        )
        then = replay_decisions(store, bundle, as_of=parse_as_of("2017-03-15"))
        print(
            f"as of 2017-03-15: replayed {then.replayed} in {then.seconds:.1f} s "
            f"({then.asked} distinct inputs asked), {len(then.changes)} changed; "
            f"outcomes {dict(then.before)} -> {dict(then.after)}"
        )
        print(f"load average at the start: {load:.2f} (2 cores shared)")
        store.close()
    return 1 if same.changes else 0


if __name__ == "__main__":
    sys.exit(main())
