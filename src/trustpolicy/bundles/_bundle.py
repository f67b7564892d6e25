"""Building and reading OPA bundles: reproducible ``.tar.gz`` files from ``policies/``.

A bundle holds the Rego policies (never their ``*_test.rego`` files), the data files the
policies read (``data.json``, ``data.yaml``) and a ``.manifest`` naming the revision, the
roots the bundle owns, and the provisions it encodes. The same sources always give the same
bytes: entries are sorted, owner, mode and mtime are fixed, and the gzip header carries no
time or name, so any two builds of one revision can be compared with ``cmp``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from trustpolicy.contract._errors import BundleError
from trustpolicy.engine._tools import find_tool

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "BUNDLE_ROOTS",
    "Bundle",
    "BundleInfo",
    "build_bundle",
    "read_bundle",
]

#: The data paths a trustpolicy bundle owns: the Trust Act policies, plus the agent's own
#: API authorization and decision-log masking policies.
BUNDLE_ROOTS: tuple[str, ...] = ("trustpolicy", "system/authz", "system/log")
MANIFEST = ".manifest"
SIGNATURES = ".signatures.json"
ORDINANCE = "Boston Code § 11-1.9 (Boston Trust Act, as amended 2019)"
_DATA_FILES = frozenset({"data.json", "data.yaml"})
#: The largest file a bundle may hold, here and on every agent (``size_limit_bytes`` in the
#: agent configuration): a bundle bomb is refused as it is unpacked, never inflated.
BUNDLE_FILE_LIMIT = 16 * 1024 * 1024
#: The most all files of one bundle may hold together, unpacked.
BUNDLE_TOTAL_LIMIT = 64 * 1024 * 1024
_GIT_TIMEOUT = 30


@attrs.frozen
class Bundle:
    """A bundle read back from its ``.tar.gz``: every file by name, bytes as stored."""

    files: Mapping[str, bytes]
    path: Path | None = None

    @property
    def manifest(self) -> dict[str, Any]:
        """The parsed ``.manifest`` (empty when the bundle has none)."""
        raw = self.files.get(MANIFEST)
        if raw is None:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise BundleError(f"{MANIFEST} is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise BundleError(f"{MANIFEST} is not a JSON object")
        return value

    @property
    def revision(self) -> str:
        """The manifest's ``revision`` (empty when unset)."""
        return str(self.manifest.get("revision", ""))

    @property
    def signed(self) -> bool:
        """Whether the bundle carries a ``.signatures.json``."""
        return SIGNATURES in self.files


@attrs.frozen
class BundleInfo:
    """What :func:`build_bundle` wrote: where, which revision, how big, and what is in it."""

    path: Path
    revision: str
    sha256: str
    size: int
    files: tuple[str, ...]
    provisions: tuple[str, ...]
    built_at: str | None


def write_archive(files: Mapping[str, bytes], out_path: Path | str) -> Path:
    """Write ``files`` as a reproducible ``.tar.gz`` (sorted, fixed metadata, gzip mtime 0).

    The file is written beside ``out_path`` and renamed over it, so a reader (or a bundle
    server) never sees half a bundle.
    """
    out = Path(out_path)
    buf = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return out


def read_bundle(path: Path | str) -> Bundle:
    """Read a bundle ``.tar.gz`` into memory; :class:`BundleError` names what is wrong."""
    src = Path(path)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read bundle {src}: {exc}") from exc
    return parse_bundle(data, src)


def parse_bundle(data: bytes, src: Path) -> Bundle:
    """Parse the bytes of a bundle ``.tar.gz`` read from ``src`` (named in errors).

    Only regular files are read, as OPA reads a bundle: a symbolic or hard link, a device
    or a fifo in the archive is skipped (never followed), so it is neither loaded nor
    checked against the signature, here or on an agent.
    """
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                name = _normalise(member.name)
                if not member.isfile():
                    continue  # as OPA does: links, devices and fifos are never loaded
                if member.size > BUNDLE_FILE_LIMIT:
                    raise BundleError(
                        f"{src}: {name} is {member.size} bytes unpacked, over the "
                        f"{BUNDLE_FILE_LIMIT}-byte limit per bundle file"
                    )
                total += member.size
                if total > BUNDLE_TOTAL_LIMIT:
                    raise BundleError(
                        f"{src}: over {BUNDLE_TOTAL_LIMIT} bytes unpacked (at {name})"
                    )
                if name in files:
                    raise BundleError(f"{src}: {name} appears twice")
                handle = tar.extractfile(member)
                files[name] = handle.read(BUNDLE_FILE_LIMIT + 1) if handle is not None else b""
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise BundleError(f"cannot read bundle {src}: {exc}") from exc
    return Bundle(files=files, path=src)


def build_bundle(
    policies_dir: Path | str,
    out_path: Path | str,
    *,
    revision: str | None = None,
    built_at: datetime | None = None,
    roots: tuple[str, ...] = BUNDLE_ROOTS,
    opa: Path | str | None = None,
) -> BundleInfo:
    """Build a reproducible OPA bundle from ``policies_dir`` into ``out_path``.

    ``revision`` defaults to the last git commit touching the policies plus a content hash
    (the content hash alone outside git). The build time is ``built_at``, else
    ``$SOURCE_DATE_EPOCH``, else that commit's time, so it never breaks reproducibility.
    Provision IDs come from the policies' METADATA, read with ``opa inspect``.
    """
    src = Path(policies_dir)
    if not src.is_dir():
        raise BundleError(f"policies directory not found: {src}")
    files = _collect(src, roots)
    if not any(name.endswith(".rego") for name in files):
        raise BundleError(f"no Rego policies under {src}")
    content = _content_hash(files)
    commit, commit_time = _git_commit(src)
    if revision is None:
        revision = f"{commit[:12]}-{content[:16]}" if commit else f"sha256-{content[:16]}"
    stamp = _build_time(built_at, commit_time)
    provisions = _provisions(src, files, opa)
    metadata: dict[str, Any] = {
        "ordinance": ORDINANCE,
        "content_sha256": content,
        "provisions": list(provisions),
    }
    if commit:
        metadata["git_commit"] = commit
    if stamp is not None:
        metadata["built_at"] = stamp
    manifest = {
        "revision": revision,
        "roots": list(roots),
        "rego_version": 1,
        "metadata": metadata,
    }
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode()
    out = write_archive(files, out_path)
    raw = out.read_bytes()
    return BundleInfo(
        path=out,
        revision=revision,
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        files=tuple(sorted(files)),
        provisions=provisions,
        built_at=stamp,
    )


def _normalise(name: str) -> str:
    """Bundle paths as OPA keys them: ``/`` separators, no leading ``/`` or ``./``."""
    name = name.replace("\\", "/")
    while name.startswith(("./", "/")):
        name = name[2:] if name.startswith("./") else name[1:]
    return name


def _included(rel: Path) -> bool:
    if any(part.startswith(".") for part in rel.parts):
        return False
    if rel.suffix == ".rego":
        return not rel.name.endswith("_test.rego")
    return rel.name in _DATA_FILES


def _collect(src: Path, roots: tuple[str, ...]) -> dict[str, bytes]:
    """Every file that belongs in the bundle, keyed by its path relative to ``src``."""
    files: dict[str, bytes] = {}
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or not _included(rel):
            continue
        name = rel.as_posix()
        folder = rel.parent.as_posix()
        if not any(folder == root or folder.startswith(f"{root}/") for root in roots):
            raise BundleError(f"{name} is outside the bundle roots {list(roots)}")
        files[name] = path.read_bytes()
    return files


def _content_hash(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    return digest.hexdigest()


def _git_commit(src: Path) -> tuple[str | None, int | None]:
    """Return the last commit that touched ``src`` and its time, or ``(None, None)``."""
    try:
        proc = subprocess.run(
            ["git", "log", "-1", "--format=%H %ct", "--", "."],
            cwd=src,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    fields = proc.stdout.split()
    if proc.returncode != 0 or len(fields) != 2:  # noqa: PLR2004
        return None, None
    return fields[0], int(fields[1])


def _build_time(built_at: datetime | None, commit_time: int | None) -> str | None:
    if built_at is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                built_at = datetime.fromtimestamp(int(epoch), tz=UTC)
            except ValueError as exc:
                raise BundleError(f"SOURCE_DATE_EPOCH is not an integer: {epoch!r}") from exc
        elif commit_time is not None:
            built_at = datetime.fromtimestamp(commit_time, tz=UTC)
    if built_at is None:
        return None
    return built_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _provisions(src: Path, files: Mapping[str, bytes], opa: Path | str | None) -> tuple[str, ...]:
    """Stable provision IDs (``custom.id``) from the METADATA of the bundled policies."""
    tool = Path(opa) if opa is not None else find_tool("opa")
    try:
        proc = subprocess.run(
            [str(tool), "inspect", "-a", "--format", "json", "."],
            cwd=src,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BundleError(f"opa inspect failed on {src}: {exc}") from exc
    if proc.returncode != 0:
        raise BundleError(f"opa inspect failed on {src}: {proc.stderr.strip()}")
    try:
        report = json.loads(proc.stdout)
    except ValueError as exc:
        raise BundleError(f"opa inspect gave no JSON for {src}: {exc}") from exc
    ids: set[str] = set()
    for entry in report.get("annotations") or ():
        where = _normalise(str(entry.get("location", {}).get("file", "")))
        custom = entry.get("annotations", {}).get("custom") or {}
        if where in files and isinstance(custom.get("id"), str):
            ids.add(custom["id"])
    return tuple(sorted(ids))
