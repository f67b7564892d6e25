"""A provision is one folder: registered by its folder, it reaches the decision; a provision
package that contributes nothing to the decision fails `trustpolicy test` (the build)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trustpolicy.authoring._registration import registration_problems

ROOT = Path(__file__).resolve().parent.parent

NEW_PROVISION = """# METADATA
# title: No city database searches for ICE on a civil matter (test provision)
# description: A provision added as one folder, to prove registration by folder.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act
# custom:
#   id: BTA-TEST-99
#   citation: Boston Code § 11-1.9
#   confidence: interpretation
#   message: A test provision fired.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.test_only

import data.trustpolicy.lib

{rules}

_meta := rego.metadata.chain()[1].annotations
"""

CONTRIBUTES = """violations contains lib.entry(_meta, set()) if input.purpose == "statistics\""""
CONTRIBUTES_NOTHING = """triggered if input.purpose == "statistics\""""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path / "policies"


def _add(tree: Path, rules: str) -> None:
    folder = tree / "trustpolicy" / "boston" / "test_only"
    folder.mkdir()
    (folder / "test_only.rego").write_text(NEW_PROVISION.format(rules=rules), encoding="utf-8")


def _decide(opa_bin: Path, tree: Path, request: dict[str, object]) -> dict[str, object]:
    proc = subprocess.run(
        [str(opa_bin), "eval", "-b", str(tree), "--stdin-input", "-f", "json",
         "data.trustpolicy.decision"],
        input=json.dumps(request), capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    value: dict[str, object] = json.loads(proc.stdout)["result"][0]["expressions"][0]["value"]
    return value


def test_the_shipped_policies_register_every_provision(opa_bin: Path) -> None:
    assert registration_problems(ROOT / "policies", opa_bin) == []


def test_a_new_provision_folder_fires_without_editing_the_decision(
    opa_bin: Path, tree: Path
) -> None:
    _add(tree, CONTRIBUTES)
    assert registration_problems(tree, opa_bin) == []
    request = {
        "action": "commit_resources",
        "actor": {"agency": "BPD", "role": "police_officer"},
        "counterpart": {"agency": "FBI"},
        "purpose": "statistics",
    }
    decision = _decide(opa_bin, tree, request)
    assert decision["outcome"] == "deny"
    assert [v["rule"] for v in decision["violations"]] == ["BTA-TEST-99"]  # type: ignore[union-attr]


def test_a_provision_package_that_contributes_nothing_fails_the_build(
    opa_bin: Path, tree: Path
) -> None:
    _add(tree, CONTRIBUTES_NOTHING)
    assert registration_problems(tree, opa_bin) == [
        (
            "trustpolicy.boston.test_only: defines none of escalations, obligations, "
            "violations, so it never reaches data.trustpolicy.decision"
        )
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "trustpolicy", "test", "--policies", str(tree)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not registered: trustpolicy.boston.test_only" in proc.stdout


def test_a_provision_that_names_no_law_version_is_refused(opa_bin: Path, tree: Path) -> None:
    rego = tree / "trustpolicy" / "boston" / "inquiry" / "inquiry.rego"
    rego.write_text(
        rego.read_text("utf-8").replace("#     - version: BTA-2019", "#     - version: BTA-2031"),
        encoding="utf-8",
    )
    assert registration_problems(tree, opa_bin) == [
        "trustpolicy.boston.inquiry: version 'BTA-2031' is not in law/data.json"
    ]
