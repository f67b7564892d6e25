"""Decide the same inputs with two policy trees through real OPA and require identical documents.

The bench corpus (``bench/corpus.py``: its requests and its malformed ones) and every input of
``tests/data/review-scenarios.json`` go, one request per POST, to an OPA serving the reference
policies (``git archive <ref> policies``, main by default) and to one serving the candidate
(the working tree's policies by default); each decision document must be byte-identical as
canonical JSON, ``policy.revision`` aside (it names the bundle). Exit 1 on any difference.

    .venv/bin/python bench/identity.py                    # main vs working tree, 10,000 requests
    .venv/bin/python bench/identity.py --ref HEAD~3 --size 2000
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_mod

from trustpolicy import LocalOPA

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "data" / "review-scenarios.json"
PATH = "/v1/data/trustpolicy/decision"


def archived_policies(ref: str, dest: Path) -> Path:
    """The policies/ tree of a git revision, extracted under dest."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "policies"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "policies"


def inputs(size: int, seed: int) -> list[Any]:
    """The corpus requests, its malformed requests, then the review scenarios' inputs."""
    docs, bad = corpus_mod.build(size, seed)
    scenarios = [s["input"] for s in json.loads(SCENARIOS.read_text())]
    return [*docs, *bad, *scenarios]


def decide_all(policies: Path, docs: list[Any]) -> list[str]:
    """Each document's decision as canonical JSON, policy.revision removed."""
    out: list[str] = []
    with LocalOPA(policies=policies, decision_logs=False) as opa:
        url = urlsplit(opa.url)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        try:
            for doc in docs:
                body = json.dumps({"input": doc}).encode()
                conn.request("POST", PATH, body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                answer = json.loads(resp.read())
                if resp.status != 200 or "result" not in answer:
                    raise SystemExit(f"OPA answered {resp.status}: {answer}")
                result = answer["result"]
                result.get("policy", {}).pop("revision", None)
                out.append(json.dumps(result, sort_keys=True, separators=(",", ":")))
        finally:
            conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ref", default="main", help="git revision of the reference policies")
    parser.add_argument("--candidate", type=Path, default=ROOT / "policies")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    docs = inputs(args.size, args.seed)
    with tempfile.TemporaryDirectory(prefix="trustpolicy-identity-") as tmp:
        reference = decide_all(archived_policies(args.ref, Path(tmp)), docs)
    candidate = decide_all(args.candidate, docs)
    diffs = [i for i, (a, b) in enumerate(zip(reference, candidate, strict=True)) if a != b]
    print(f"{len(docs):,} inputs decided by {args.ref} and {args.candidate}: {len(diffs)} differ")
    for i in diffs[:5]:
        print(f"#{i} input {json.dumps(docs[i])[:300]}")
        print(f"  {args.ref}: {reference[i][:600]}")
        print(f"  candidate: {candidate[i][:600]}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
