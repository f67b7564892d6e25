"""Traceability: every provision and exception of the contract is implemented by exactly one
annotated Rego package, and at least one test case fires it against the real OPA."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "trust-act.md"
SHARED_CONTRACT = ROOT.parent / "shared" / "trust-act.md"
ID = re.compile(r"^\|\s*((?:BTA|MA|FED|TP|EXC)-[A-Z0-9-]+)\s*\|")

# Every table-driven case in the policy tests: [package/case] -> {input, want}.
CASES_QUERY = """
cases := object.union(
	{sprintf("%s/%s", [pkg, name]): case |
		some instrument in ["boston", "massachusetts", "federal", "engine", "exceptions"]
		some pkg
		endswith(pkg, "_test")
		some name, case in data.trustpolicy[instrument][pkg].cases
	},
	{sprintf("worked/%s", [name]): case | some name, case in data.trustpolicy_test.worked_examples},
)
"""


def contract_ids() -> list[str]:
    return [
        m.group(1)
        for line in CONTRACT.read_text(encoding="utf-8").splitlines()
        if (m := ID.match(line))
    ]


def opa_json(opa: Path, *args: str, stdin: str | None = None) -> Any:
    proc = subprocess.run(
        [str(opa), *args], input=stdin, capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def annotations(opa_bin: Path, policies: Path) -> list[dict[str, Any]]:
    out = opa_json(opa_bin, "inspect", "-a", "--format", "json", str(policies))
    entries = [entry["annotations"] for entry in out.get("annotations", [])]
    return [a for a in entries if a.get("custom", {}).get("id")]


@pytest.fixture(scope="module")
def fired(opa_bin: Path, policies: Path, tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    """Ids fired by the policy tests' cases, counted only where OPA's decision matches the case."""
    query_file = tmp_path_factory.mktemp("trace") / "cases.rego"
    query_file.write_text("package trace_cases\n" + CASES_QUERY, encoding="utf-8")
    cases = opa_json(
        opa_bin,
        "eval",
        "-b",
        str(policies),
        "-d",
        str(query_file),
        "--format",
        "json",
        "data.trace_cases.cases",
    )["result"][0]["expressions"][0]["value"]
    names = sorted(cases)
    batch = opa_json(
        opa_bin,
        "eval",
        "-b",
        str(policies),
        "-I",
        "--format",
        "json",
        "data.trustpolicy.batch",
        stdin=json.dumps({"requests": [cases[n]["input"] for n in names]}),
    )["result"][0]["expressions"][0]["value"]
    counts: Counter[str] = Counter()
    for name, decision in zip(names, batch, strict=True):
        want = cases[name]["want"]
        got = {
            "outcome": decision["outcome"],
            "violations": sorted({v["rule"] for v in decision["violations"]}),
            "exceptions": {e["rule"]: e["lifts"] for e in decision["exceptions"]},
            "escalations": sorted({e["rule"] for e in decision["escalations"]}),
            "obligations": sorted({o["rule"] for o in decision["obligations"]}),
        }
        expected = {k: sorted(v) if isinstance(v, list) else v for k, v in want.items()}
        assert got == expected, f"case {name}: OPA decided {got}, the test table says {expected}"
        counts.update(
            {*want["violations"], *want["exceptions"], *want["escalations"], *want["obligations"]}
        )
    assert len(names) > 100, f"only {len(names)} table cases found"
    return counts


def test_contract_copy_matches_the_published_contract() -> None:
    if SHARED_CONTRACT.exists():
        assert CONTRACT.read_text(encoding="utf-8") == SHARED_CONTRACT.read_text(encoding="utf-8")
    assert len(contract_ids()) == 21


def test_every_contract_id_is_implemented_by_exactly_one_annotated_package(
    annotations: list[dict[str, Any]],
) -> None:
    implemented = Counter(a["custom"]["id"] for a in annotations)
    assert {i: implemented[i] for i in contract_ids()} == dict.fromkeys(contract_ids(), 1)
    assert set(implemented) == set(contract_ids()), "an annotated id the contract does not name"


def test_every_annotation_carries_its_citation_and_confidence(
    annotations: list[dict[str, Any]],
) -> None:
    for ann in annotations:
        custom = ann["custom"]
        assert ann.get("title"), custom["id"]
        assert ann.get("description"), custom["id"]
        assert ann.get("related_resources"), custom["id"]
        assert custom.get("citation"), custom["id"]
        assert custom.get("message"), custom["id"]
        assert custom.get("confidence") in {"text", "reported", "interpretation", "engine"}
        if custom["id"].startswith("EXC-"):
            assert set(custom["lifts"]) <= set(contract_ids()), custom["id"]


def test_every_contract_id_is_fired_by_a_test_case(fired: Counter[str]) -> None:
    assert {i for i in contract_ids() if fired[i] == 0} == set()


def test_the_contracts_link_to_its_worked_examples_resolves() -> None:
    # docs/trust-act.md must stay the published text, so its relative link
    # (`examples/worked-examples.json`) is served by a copy beside it, kept identical.
    linked = CONTRACT.parent / "examples" / "worked-examples.json"
    assert "`examples/worked-examples.json`" in CONTRACT.read_text(encoding="utf-8")
    tests_copy = ROOT / "tests" / "data" / "worked-examples.json"
    assert json.loads(linked.read_text("utf-8")) == json.loads(tests_copy.read_text("utf-8"))
    shared = ROOT.parent / "shared" / "examples" / "worked-examples.json"
    if shared.exists():
        assert linked.read_bytes() == shared.read_bytes()
