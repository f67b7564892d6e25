"""Bundle build: the right files, a truthful manifest, and byte-identical rebuilds."""

from __future__ import annotations

import json
import subprocess
import tarfile
from typing import TYPE_CHECKING

import pytest

from trustpolicy import BundleError
from trustpolicy.bundles._bundle import BUNDLE_ROOTS, MANIFEST, build_bundle, read_bundle

if TYPE_CHECKING:
    from pathlib import Path

CONTRACT_IDS = {
    "BTA-INQ-01", "BTA-DET-01", "BTA-ARR-01", "BTA-XFER-01", "BTA-INFO-01", "BTA-INFO-02",
    "BTA-RES-01", "BTA-ROLE-01", "MA-LUNN-01", "FED-1373-ESC", "BTA-RPT-01", "TP-INPUT-01",
}  # fmt: skip
POLICY = """# METADATA
# title: Test rule
# custom:
#   id: TP-TEST-01
package trustpolicy

default decision := {"outcome": "deny", "allowed": false}
"""
TEST_POLICY = """# METADATA
# custom:
#   id: TP-NOT-SHIPPED
package trustpolicy_test

test_nothing if true
"""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    (root / "trustpolicy" / "schema").mkdir(parents=True)
    (root / "trustpolicy" / "decision.rego").write_text(POLICY)
    (root / "trustpolicy" / "decision_test.rego").write_text(TEST_POLICY)
    (root / "trustpolicy" / "schema" / "data.json").write_text('{"fields": [1.0]}')
    (root / "trustpolicy" / "schema" / "notes.json").write_text("{}")
    (root / "trustpolicy" / "README.md").write_text("# not policy")
    (root / "trustpolicy" / ".hidden").mkdir()
    (root / "trustpolicy" / ".hidden" / "x.rego").write_text("package trustpolicy.hidden\n")
    return root


def test_bundle_has_policies_and_data_but_no_tests(policy_dir: Path, tmp_path: Path) -> None:
    info = build_bundle(policy_dir, tmp_path / "b.tar.gz")
    assert info.files == (MANIFEST, "trustpolicy/decision.rego", "trustpolicy/schema/data.json")
    assert info.provisions == ("TP-TEST-01",)  # the _test file's annotations never count
    with tarfile.open(info.path) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == list(info.files)
    assert {(m.mtime, m.uid, m.gid, m.mode, m.uname) for m in members} == {(0, 0, 0, 0o644, "")}


def test_build_twice_is_byte_identical(policy_dir: Path, tmp_path: Path) -> None:
    first = build_bundle(policy_dir, tmp_path / "1.tar.gz")
    second = build_bundle(policy_dir, tmp_path / "2.tar.gz")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256
    assert first.path.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header mtime


def test_real_policies_build_reproducibly_with_every_provision(
    policies: Path, tmp_path: Path
) -> None:
    first = build_bundle(policies, tmp_path / "1.tar.gz")
    second = build_bundle(policies, tmp_path / "2.tar.gz")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert set(first.provisions) >= CONTRACT_IDS
    assert not any(name.endswith("_test.rego") for name in first.files)
    manifest = read_bundle(first.path).manifest
    assert manifest["roots"] == list(BUNDLE_ROOTS)
    assert manifest["rego_version"] == 1
    assert manifest["metadata"]["provisions"] == list(first.provisions)
    assert "11-1.9" in manifest["metadata"]["ordinance"]
    commit = manifest["metadata"].get("git_commit")
    if commit:  # a checkout: revision is that commit plus the content hash
        assert first.revision.startswith(commit[:12])
        assert manifest["metadata"]["built_at"].endswith("Z")


def test_revision_outside_git_is_the_content_hash(policy_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    info = build_bundle(policy_dir, tmp_path / "b.tar.gz")
    manifest = read_bundle(info.path).manifest
    assert info.revision == f"sha256-{manifest['metadata']['content_sha256'][:16]}"
    assert manifest["metadata"]["built_at"] == "2023-11-14T22:13:20Z"
    assert "git_commit" not in manifest["metadata"]
    (policy_dir / "trustpolicy" / "decision.rego").write_text(POLICY + "\n# amended\n")
    assert build_bundle(policy_dir, tmp_path / "c.tar.gz").revision != info.revision


def test_explicit_revision_is_used(policy_dir: Path, tmp_path: Path) -> None:
    info = build_bundle(policy_dir, tmp_path / "b.tar.gz", revision="2026-11-25.1")
    assert read_bundle(info.path).revision == "2026-11-25.1"


def test_file_outside_the_roots_is_refused(policy_dir: Path, tmp_path: Path) -> None:
    (policy_dir / "other").mkdir()
    (policy_dir / "other" / "x.rego").write_text("package other\n")
    with pytest.raises(BundleError, match=r"other/x\.rego"):
        build_bundle(policy_dir, tmp_path / "b.tar.gz")


def test_missing_policies_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not found"):
        build_bundle(tmp_path / "nope", tmp_path / "b.tar.gz")


def test_garbage_is_not_a_bundle(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(BundleError, match=r"junk\.tar\.gz"):
        read_bundle(junk)


def test_opa_evaluates_the_built_bundle(opa_bin, policies: Path, tmp_path: Path) -> None:
    info = build_bundle(policies, tmp_path / "b.tar.gz")
    example = {
        "action": "inquire_status",
        "actor": {"agency": "BPD", "role": "police_officer"},
        "subject": {"role": "other", "in_custody": False},
        "purpose": "other",
    }
    proc = subprocess.run(
        [str(opa_bin), "eval", "-b", str(info.path), "-I", "--format", "json",
         "data.trustpolicy.decision"],
        input=json.dumps(example), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    decision = json.loads(proc.stdout)["result"][0]["expressions"][0]["value"]
    assert decision["outcome"] == "deny"
    assert decision["policy"]["revision"] == info.revision
    assert "BTA-INQ-01" in {v["rule"] for v in decision["violations"]}
