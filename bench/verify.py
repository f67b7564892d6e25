"""The run's verdict: every variant's decision against the raw HTTP answer.

Outcome and rule ids always; the whole document too (the raw result for the transport
variants, ``Decision.from_result`` of it for the SDK). The floor's inputs are checked with
``opa eval`` on the same bundle; malformed requests must be denied with TP-INPUT-01 on the
raw path and refused by the SDK before any I/O.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import floor as floor_mod
import variants as v

from trustpolicy import Decision, InvalidRequest

if TYPE_CHECKING:
    from pathlib import Path


def check(
    *,
    acc: dict[str, dict[str, Any]],
    docs: list[dict[str, Any]],
    bad: list[dict[str, Any]],
    variants: list[v.Variant],
    floor: list[dict[str, Any]],
    e2e: dict[str, Any] | None,
    opa_bin: Path,
    bundle: Path,
) -> list[str]:
    """Every variant against the raw HTTP answer: summaries always, whole documents too."""
    failures: list[str] = []
    ref: dict[int, Any] = acc["raw_http"]["results"]
    if len(ref) != len(docs):
        failures.append(f"raw_http answered {len(ref)} of {len(docs)} requests")
    parsed: dict[int, Decision] = {}
    for var in variants[1:]:
        got = acc[var.name]["results"]
        for i, want in ref.items():
            res = got.get(i)
            if v.summary(res) != v.summary(want):
                failures.append(f"{var.name} #{i}: {v.summary(res)} != {v.summary(want)}")
                continue
            if var.sdk:
                if i not in parsed:
                    parsed[i] = Decision.from_result(want)
                same = attrs.evolve(res, decision_id=None) == parsed[i]
            else:
                same = res == want
            if not same:
                failures.append(f"{var.name} #{i}: same rules, different document")
    for f in [*floor, *([e2e] if e2e else [])]:
        value = floor_mod.evaluate(opa_bin, bundle, docs[f["index"]])
        f["outcome"] = value.get("outcome")
        f["action"] = docs[f["index"]]["action"]
        if value != ref.get(f["index"]):
            failures.append(f"opa bench input {f['name']}: opa eval differs from the server")
    return failures + check_malformed(bad, variants)


def check_malformed(bad: list[dict[str, Any]], variants: list[v.Variant]) -> list[str]:
    """Malformed requests: the raw path must deny with TP-INPUT-01, the SDK must refuse."""
    failures: list[str] = []
    raw_answers = variants[0].run(bad)[1]
    for doc, answer in zip(bad, raw_answers, strict=True):
        if v.summary(answer)[:2] != ("deny", ("TP-INPUT-01",)):
            failures.append(f"malformed {json.dumps(doc)[:80]}: raw answer {v.summary(answer)}")
        other = variants[1].run([doc])[1][0]
        if v.summary(other) != v.summary(answer):
            failures.append(f"opa_client on malformed: {v.summary(other)}")
        for var in [x for x in variants if x.sdk and x.name != "decide_prebuilt"]:
            try:
                var.run([doc])
            except InvalidRequest:
                continue
            failures.append(f"{var.name} accepted malformed {json.dumps(doc)[:80]}")
    return failures
