"""Independent legal review: scenarios written from the contract (revision 2) alone.

Every scenario in ``tests/data/review-scenarios.json`` is decided by the real, pinned OPA
serving the checkout's policies, in one batch query. The input documents are sent to the
engine as written, without the SDK's own schema check, because many scenarios are
deliberately malformed: the claim under test is that the *policy* denies them (TP-INPUT-01),
never that the client refuses to ask.

``exact: true`` means the four rule-id lists must equal the decision's sets; ``exact: false``
means the outcome must match and every listed id must be present. ``law_versions``, where
given, must equal the decision's ``law.versions``. Each scenario is its own test id, and
``test_review_scenarios_all_agree`` lists every disagreement at once. Separately, every
scenario not expected to be TP-INPUT-01 must also pass the SDK's own input check, so a
client cannot refuse what the contract allows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from trustpolicy import Decision, DecisionRequest, InvalidRequest, LocalOPA

SCENARIOS_FILE = Path(__file__).resolve().parent / "data" / "review-scenarios.json"
SCENARIOS: list[dict[str, Any]] = json.loads(SCENARIOS_FILE.read_text())
LISTS = ("violations", "exceptions", "escalations", "obligations")
OUTCOMES = ("allow", "deny", "escalate")
TIMEOUT = 60.0


def _rule_ids(entries: object) -> list[str]:
    if not isinstance(entries, list):
        return [f"<not a list: {entries!r}>"]
    return sorted(str(e.get("rule")) if isinstance(e, dict) else repr(e) for e in entries)


def _actual(result: object) -> dict[str, Any]:
    """The worked-example view of one raw decision document (or why there is none)."""
    if not isinstance(result, dict):
        return {"error": f"no decision document: {result!r}"[:300]}
    out: dict[str, Any] = {"outcome": result.get("outcome")}
    out.update({k: _rule_ids(result.get(k, [])) for k in LISTS})
    law = result.get("law")
    out["law_versions"] = law.get("versions") if isinstance(law, dict) else None
    out["entry_versions"] = {
        str(e.get("rule")): e.get("version")
        for k in LISTS
        for e in (result.get(k) or [])
        if isinstance(e, dict)
    }
    try:
        Decision.from_result(result)
    except InvalidRequest as exc:
        out["error"] = "not a valid decision document: " + "; ".join(exc.problems)
    return out


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    resp = requests.post(url, json=body, timeout=TIMEOUT)
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, resp.text[:300]


def _decide_all(base: str) -> list[dict[str, Any]]:
    """One batch query for every scenario; one query each only if the batch itself fails."""
    inputs = [s["input"] for s in SCENARIOS]
    status, body = _post(f"{base}/v1/data/trustpolicy/batch", {"input": {"requests": inputs}})
    results = body.get("result") if status == 200 and isinstance(body, dict) else None
    if isinstance(results, list) and len(results) == len(inputs):
        return [_actual(r) for r in results]
    batch_error = f"batch query failed (HTTP {status}): {str(body)[:300]}"
    out = []
    for inp in inputs:
        status, body = _post(f"{base}/v1/data/trustpolicy/decision", {"input": inp})
        if status == 200 and isinstance(body, dict) and "result" in body:
            out.append(_actual(body["result"]))
        else:
            out.append({"error": f"{batch_error}; single query HTTP {status}: {str(body)[:300]}"})
    return out


@pytest.fixture(scope="module")
def decisions() -> dict[str, dict[str, Any]]:
    with LocalOPA() as opa:
        actual = _decide_all(opa.url)
    return {s["name"]: a for s, a in zip(SCENARIOS, actual, strict=True)}


def disagreement(scenario: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs between the scenario's expectation and the decision (empty: agrees)."""
    if "error" in actual:
        return [actual["error"]]
    expect = scenario["expect"]
    problems = []
    if actual["outcome"] != expect["outcome"]:
        problems.append(f"outcome {actual['outcome']!r}, expected {expect['outcome']!r}")
    for key in LISTS:
        want, got = set(expect[key]), set(actual[key])
        if scenario["exact"] and want != got:
            problems.append(f"{key} {sorted(got)}, expected exactly {sorted(want)}")
        elif not want <= got:
            problems.append(f"{key} {sorted(got)}, expected to include {sorted(want - got)}")
    versions = scenario.get("law_versions")
    if versions is not None and actual["law_versions"] != versions:
        problems.append(f"law.versions {actual['law_versions']}, expected {versions}")
    problems.extend(_version_problems(actual))
    return problems


#: The version each provision comes from, where the contract names exactly one (section 2,
#: Versions in force). BTA-DET-01 and EXC-JUDICIAL-WARRANT are in BTA-2014 and BTA-2019.
BTA_2019_RULES = (
    "BTA-INQ-01", "BTA-ARR-01", "BTA-XFER-01", "BTA-INFO-01", "BTA-INFO-02", "BTA-RES-01",
    "BTA-ROLE-01", "EXC-JUDICIAL-ORDER", "EXC-VISA-CERT", "EXC-CRIMINAL-ELEMENT",
    "EXC-HSI-CRIMINAL", "EXC-CRIMINAL-HISTORY", "EXC-PUBLIC-SAFETY", "EXC-TASK-FORCE",
    "EXC-CONSULAR-NOTICE",
)  # fmt: skip
VERSION_OF = {
    "FED-1373-ESC": "US-1373",
    "BTA-RPT-01": "BTA-2014",
    "MA-LUNN-01": "MA-LUNN",
    **dict.fromkeys(BTA_2019_RULES, "BTA-2019"),
}


def _version_problems(actual: dict[str, Any]) -> list[str]:
    """Section 4: every entry carries the version it comes from, a version in force that day."""
    problems = []
    in_force = actual["law_versions"] if isinstance(actual["law_versions"], list) else []
    for rule, version in actual["entry_versions"].items():
        if rule.startswith("TP-"):
            continue  # engine rules belong to no version of the law
        if not in_force and rule in VERSION_OF and version == VERSION_OF[rule]:
            # The day could not be read (law.date null): the entries kept whatever the day,
            # a detainer's record and legal review of status, carry their newest text.
            continue
        if version not in in_force:
            problems.append(f"{rule} carries version {version!r}, not one in force {in_force}")
        elif rule in VERSION_OF and version != VERSION_OF[rule]:
            problems.append(f"{rule} carries version {version!r}, expected {VERSION_OF[rule]!r}")
    return problems


def _report(scenario: dict[str, Any], actual: dict[str, Any], problems: list[str]) -> str:
    expect = {k: scenario["expect"][k] for k in ("outcome", *LISTS)}
    got = {k: actual.get(k) for k in ("outcome", *LISTS, "law_versions")}
    return (
        f"{scenario['name']}\n  basis: {scenario['basis']}\n  expected: {json.dumps(expect)}"
        f"{' (exact)' if scenario['exact'] else ''}\n  actual:   {json.dumps(got)}\n  "
        + "\n  ".join(problems)
    )


def test_scenarios_file_is_well_formed() -> None:
    names = [s["name"] for s in SCENARIOS]
    assert len(names) == len(set(names)), "scenario names must be unique"
    assert len(SCENARIOS) >= 130
    for s in SCENARIOS:
        assert set(s) <= {"name", "basis", "input", "expect", "exact", "law_versions"}, s["name"]
        assert s["basis"], s["name"]
        assert isinstance(s["exact"], bool), s["name"]
        expect = s["expect"]
        assert expect["outcome"] in OUTCOMES, s["name"]
        assert all(isinstance(expect[k], list) for k in LISTS), s["name"]
        # The contract's derivation: any violation denies; else any escalation escalates.
        if expect["violations"]:
            assert expect["outcome"] == "deny", s["name"]
        elif expect["escalations"]:
            assert expect["outcome"] != "allow", s["name"]


WELL_FORMED = [s for s in SCENARIOS if "TP-INPUT-01" not in s["expect"]["violations"]]


@pytest.mark.parametrize("scenario", WELL_FORMED, ids=[s["name"] for s in WELL_FORMED])
def test_sdk_accepts_every_contract_valid_scenario(scenario: dict[str, Any]) -> None:
    """The SDK's own check must accept every input the contract (section 3) allows."""
    try:
        DecisionRequest.from_dict(scenario["input"])
    except InvalidRequest as exc:
        pytest.fail(f"{scenario['name']}: the SDK refuses a contract-valid input: {exc.problems}")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_review_scenario(decisions: dict[str, dict[str, Any]], scenario: dict[str, Any]) -> None:
    actual = decisions[scenario["name"]]
    problems = disagreement(scenario, actual)
    assert not problems, _report(scenario, actual, problems)


def test_review_scenarios_all_agree(decisions: dict[str, dict[str, Any]]) -> None:
    failures = []
    for scenario in SCENARIOS:
        actual = decisions[scenario["name"]]
        problems = disagreement(scenario, actual)
        if problems:
            failures.append(_report(scenario, actual, problems))
    assert not failures, f"{len(failures)} of {len(SCENARIOS)} review scenarios disagree:\n\n" + (
        "\n\n".join(failures)
    )
