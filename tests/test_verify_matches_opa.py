"""``bundle verify`` accepts exactly what the pinned OPA loads (issue 15, finding 12): a JSON
file with a byte-order mark is refused by both, and links, devices and fifos in the tar
are skipped by both (never followed, never loaded).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from typing import TYPE_CHECKING

import pytest

from trustpolicy import BundleError
from trustpolicy.bundles._bundle import read_bundle
from trustpolicy.bundles._signing import (
    SigningKey,
    VerificationKey,
    generate_signing_key,
    signatures_file,
    verify_bundle,
)

if TYPE_CHECKING:
    from pathlib import Path

REGO = b"package trustpolicy\n\nx := 1\n"
BOM = b"\xef\xbb\xbf"


def _link(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


CASES = {
    "plain": ({}, [], True),
    "manifest with a BOM": ({".manifest": BOM + b'{"revision": "r"}'}, [], False),
    "data.json with a BOM": ({"trustpolicy/data.json": BOM + b'{"a": 1}'}, [], False),
    "symbolic link": ({}, [_link("trustpolicy/l.rego", tarfile.SYMTYPE, "p.rego")], True),
    "link out of the bundle": (
        {},
        [_link("trustpolicy/e.rego", tarfile.SYMTYPE, "/etc/passwd")],
        True,
    ),
    "hard link": ({}, [_link("trustpolicy/h.rego", tarfile.LNKTYPE, "trustpolicy/p.rego")], True),
    "fifo": ({}, [_link("trustpolicy/f.rego", tarfile.FIFOTYPE)], True),
}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, Path]:
    pair = generate_signing_key(tmp_path_factory.mktemp("keys"), name="k")
    return SigningKey.from_file(pair.private, key_id="k"), pair.public


def _bundle(path: Path, key: SigningKey, files: dict[str, bytes], extra: list) -> Path:
    files = {"trustpolicy/p.rego": REGO, ".manifest": b'{"revision": "r"}'} | files
    files[".signatures.json"] = signatures_file(files, key)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    path.write_bytes(raw.getvalue())
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_accepts_exactly_what_opa_loads(opa_bin, tmp_path, key, case) -> None:
    files, extra, loads = CASES[case]
    bundle = _bundle(tmp_path / "b.tar.gz", key[0], files, extra)
    proc = subprocess.run(
        [str(opa_bin), "build", "-b", str(bundle), "--verification-key", str(key[1]),
         "--verification-key-id", "k", "-o", str(tmp_path / "out.tar.gz")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert (proc.returncode == 0) is loads, proc.stderr
    verification = VerificationKey.from_file(key[1], key_id="k")
    if loads:
        verified = verify_bundle(bundle, verification)
        assert verified.files == (".manifest", "trustpolicy/p.rego")
        assert set(read_bundle(bundle).files) == {
            ".manifest",
            ".signatures.json",
            "trustpolicy/p.rego",
        }
    else:
        with pytest.raises(BundleError, match="byte-order mark"):
            verify_bundle(bundle, verification)
