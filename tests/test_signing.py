"""Bundle signatures: ours must be OPA's, byte for byte in meaning, in both directions."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import tarfile
from typing import TYPE_CHECKING

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from trustpolicy import SignatureError
from trustpolicy.bundles._bundle import SIGNATURES, Bundle, build_bundle, read_bundle, write_archive
from trustpolicy.bundles._signing import (
    SigningKey,
    VerificationKey,
    file_hash,
    generate_signing_key,
    sign_bundle,
    verify_bundle,
)
from trustpolicy.engine._engine import LocalOPA

if TYPE_CHECKING:
    from pathlib import Path

# Number literals, escapes, key order and non-ASCII keys: the corners where a hand-written
# canonical form drifts from OPA's.
TRICKY_DATA = (
    '{"version": 1.0, "e": 1E+3, "neg": -0, "big": 12345678901234567890,'
    ' "s": "a\\u2028b\\u0001\\b\\f\\t<>&", "k\\u00e9": 1, "z": 2,'
    ' "\\u00ff": [1.50, {"b": 1, "a": 2}], "K": null, "t": true}\n'
)
POLICY = """# METADATA
# title: Test decision
# custom:
#   id: TP-TEST-01
package trustpolicy

default decision := {"outcome": "deny", "allowed": false}

decision := {"outcome": "allow", "allowed": true} if input.action == "receive_detainer"
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    pairs = {}
    for alg in ("RS256", "PS256", "ES256", "HS256"):
        pair = generate_signing_key(folder, algorithm=alg, name=alg)
        pairs[alg] = (pair.private, pair.public)
    other = generate_signing_key(folder, name="other")
    pairs["other"] = (other.private, other.public)
    return pairs


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("policies")
    (root / "trustpolicy" / "schema").mkdir(parents=True)
    (root / "trustpolicy" / "decision.rego").write_text(POLICY)
    (root / "trustpolicy" / "schema" / "data.json").write_text(TRICKY_DATA)
    return root


@pytest.fixture
def signed(tmp_path: Path, policy_dir: Path, keys: dict[str, tuple[Path, Path]]) -> Path:
    out = tmp_path / "bundle.tar.gz"
    build_bundle(policy_dir, out)
    sign_bundle(out, SigningKey.from_file(keys["RS256"][0], key_id="city"))
    return out


def opa_verifies(opa_bin: Path, bundle: Path, key: str, *extra: str) -> tuple[bool, str]:
    """Ask the pinned opa to load and verify ``bundle`` (``opa build --verification-key``)."""
    proc = subprocess.run(
        [str(opa_bin), "build", "-b", str(bundle), "--verification-key", key, *extra,
         "-o", str(bundle.with_suffix(".opa-out.tar.gz"))],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    return proc.returncode == 0, proc.stdout + proc.stderr


def rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """Copy a bundle with files changed (bytes), added, or removed (None); signature kept."""
    files = dict(read_bundle(src).files)
    for name, data in change.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    return write_archive(files, dst)


def test_signed_bundle_lists_every_file_with_opa_hashes(signed: Path, keys) -> None:
    verified = verify_bundle(signed, VerificationKey.from_file(keys["RS256"][1], key_id="city"))
    assert verified.files == (
        ".manifest",
        "trustpolicy/decision.rego",
        "trustpolicy/schema/data.json",
    )
    assert verified.key_id == "city"
    token = json.loads(read_bundle(signed).files[SIGNATURES])["signatures"][0]
    header = json.loads(_b64(token.split(".")[0]))
    assert header == {"alg": "RS256", "kid": "city"}


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "HS256"])
def test_opa_accepts_our_signature(opa_bin, tmp_path, policy_dir, keys, alg) -> None:
    out = build_bundle(policy_dir, tmp_path / "b.tar.gz").path
    sign_bundle(out, SigningKey.from_file(keys[alg][0], algorithm=alg, key_id="k", scope="w"))
    key = keys[alg][1].read_text() if alg == "HS256" else str(keys[alg][1])
    ok, err = opa_verifies(
        opa_bin, out, key, "--verification-key-id", "k", "--signing-alg", alg, "--scope", "w"
    )
    assert ok, err


@pytest.mark.parametrize("alg", ["RS256", "ES256", "HS256"])
def test_we_accept_a_bundle_signed_by_opa_build(opa_bin, tmp_path, policy_dir, keys, alg) -> None:
    out = tmp_path / "opa.tar.gz"
    key = keys[alg][0].read_text() if alg == "HS256" else str(keys[alg][0])
    subprocess.run(
        [str(opa_bin), "build", "-b", str(policy_dir), "--signing-key", key,
         "--signing-alg", alg, "-o", str(out)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    verified = verify_bundle(
        out, VerificationKey.from_file(keys[alg][1], algorithm=alg, key_id="k"), key_id="k"
    )
    assert "data.json" in verified.files  # OPA merged and re-wrote the tricky data


def test_we_accept_a_bundle_signed_by_opa_sign(opa_bin, tmp_path, policy_dir, keys) -> None:
    unsigned = build_bundle(policy_dir, tmp_path / "u.tar.gz").path
    folder = tmp_path / "dir"
    with tarfile.open(unsigned) as tar:
        tar.extractall(folder, filter="data")
    subprocess.run(
        [str(opa_bin), "sign", "--signing-key", str(keys["RS256"][0]), "--bundle", "."],
        cwd=folder, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    verified = verify_bundle(
        Bundle(files=files),
        VerificationKey.from_file(keys["RS256"][1], key_id="_default"),
        key_id="_default",
    )
    assert "trustpolicy/schema/data.json" in verified.files


def test_opa_agent_runs_our_signed_bundle(signed: Path, keys) -> None:
    with LocalOPA(
        bundle=signed, verification_key=keys["RS256"][1], verification_key_id="city"
    ) as opa:
        answer = requests.post(
            f"{opa.url}/v1/data/trustpolicy/decision",
            json={"input": {"action": "receive_detainer"}},
            timeout=10,
        ).json()
    assert answer["result"] == {"outcome": "allow", "allowed": True}


def _tampered(signed: Path, tmp: Path) -> Path:
    return rewrite(
        signed, tmp / "t.tar.gz", {"trustpolicy/decision.rego": POLICY.encode() + b"\n# changed\n"}
    )


def _missing(signed: Path, tmp: Path) -> Path:
    return rewrite(signed, tmp / "m.tar.gz", {"trustpolicy/schema/data.json": None})


def _extra(signed: Path, tmp: Path) -> Path:
    return rewrite(signed, tmp / "e.tar.gz", {"trustpolicy/extra/data.json": b"{}"})


def _manifest(signed: Path, tmp: Path) -> Path:
    manifest = read_bundle(signed).manifest | {"revision": "forged"}
    return rewrite(signed, tmp / "r.tar.gz", {".manifest": json.dumps(manifest).encode()})


@pytest.mark.parametrize(
    ("make", "file", "words"),
    [
        (_tampered, "trustpolicy/decision.rego", "digest mismatch"),
        (_missing, "trustpolicy/schema/data.json", "not found in the bundle"),
        (_extra, "trustpolicy/extra/data.json", "not included"),
        (_manifest, ".manifest", "digest mismatch"),
    ],
    ids=["tampered", "missing", "extra", "manifest"],
)
def test_changed_bundle_is_rejected_naming_the_file(  # noqa: PLR0917
    opa_bin, signed, tmp_path, keys, make, file, words
) -> None:
    bad = make(signed, tmp_path)
    with pytest.raises(SignatureError, match=words) as caught:
        verify_bundle(bad, VerificationKey.from_file(keys["RS256"][1], key_id="city"))
    assert caught.value.file == file
    assert file in str(caught.value)
    ok, err = opa_verifies(opa_bin, bad, str(keys["RS256"][1]), "--verification-key-id", "city")
    assert not ok
    assert file.rsplit("/", 1)[-1] in err


def test_wrong_key_is_rejected(opa_bin, signed, keys) -> None:
    with pytest.raises(SignatureError, match="does not verify") as caught:
        verify_bundle(signed, VerificationKey.from_file(keys["other"][1], key_id="city"))
    assert caught.value.file == SIGNATURES
    ok, err = opa_verifies(opa_bin, signed, str(keys["other"][1]), "--verification-key-id", "city")
    assert not ok, err


def test_wrong_key_id_is_rejected(signed, keys) -> None:
    with pytest.raises(SignatureError, match="no verification key with id 'city'"):
        verify_bundle(signed, VerificationKey.from_file(keys["RS256"][1], key_id="dept"))


def test_wrong_scope_is_rejected(opa_bin, signed, keys) -> None:
    key = VerificationKey.from_file(keys["RS256"][1], key_id="city", scope="write")
    with pytest.raises(SignatureError, match="scope mismatch") as caught:
        verify_bundle(signed, key)
    assert caught.value.file == SIGNATURES
    ok, err = opa_verifies(
        opa_bin, signed, str(keys["RS256"][1]), "--verification-key-id", "city", "--scope", "write"
    )
    assert not ok
    assert "scope mismatch" in err


def test_unsigned_bundle_is_rejected(tmp_path, policy_dir, keys) -> None:
    out = build_bundle(policy_dir, tmp_path / "u.tar.gz").path
    with pytest.raises(SignatureError, match="not signed") as caught:
        verify_bundle(out, VerificationKey.from_file(keys["RS256"][1]))
    assert caught.value.file == SIGNATURES


def test_excluded_files_are_not_checked(signed, tmp_path, keys) -> None:
    bad = _extra(signed, tmp_path)
    key = VerificationKey.from_file(keys["RS256"][1], key_id="city")
    verified = verify_bundle(bad, key, exclude=["trustpolicy/extra/*.json"])
    assert "trustpolicy/extra/data.json" not in verified.files


def test_rsa_signature_is_reproducible(tmp_path, policy_dir, keys) -> None:
    key = SigningKey.from_file(keys["RS256"][0])
    first = build_bundle(policy_dir, tmp_path / "1.tar.gz").path
    second = build_bundle(policy_dir, tmp_path / "2.tar.gz").path
    sign_bundle(first, key)
    sign_bundle(second, key)
    assert first.read_bytes() == second.read_bytes()


def test_yaml_that_is_not_json_cannot_be_hashed_silently() -> None:
    with pytest.raises(SignatureError, match=r"data\.yaml") as caught:
        file_hash("x/data.yaml", b"a: 1\n")
    assert caught.value.file == "x/data.yaml"


def test_generated_private_key_is_owner_only(tmp_path) -> None:
    pair = generate_signing_key(tmp_path, name="k")
    assert pair.private.stat().st_mode & 0o777 == 0o600
    assert b"PUBLIC KEY" in pair.public.read_bytes()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_json_hash_ignores_layout_and_key_order(value) -> None:
    compact = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    spaced = json.dumps(value, indent=3, ensure_ascii=True)
    assert file_hash("data.json", compact.encode()) == file_hash("data.json", spaced.encode())


def test_json_hash_keeps_number_literals() -> None:
    assert file_hash("data.json", b'{"a": 1.0}') != file_hash("data.json", b'{"a": 1}')
    assert file_hash("policy.rego", b"x") != file_hash("policy.rego", b"x ")
    buf = io.BytesIO(b'{"a": 1.0}')
    assert file_hash(".manifest", buf.getvalue()) == file_hash(".manifest", b'{ "a" : 1.0 }')
