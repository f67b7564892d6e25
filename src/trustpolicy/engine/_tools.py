"""Locating the pinned tools (``opa``, ``regal``) and the project's policy sources."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from trustpolicy.contract._errors import ToolNotFound

__all__ = ["OPA_VERSION", "REGAL_VERSION", "find_tool", "policies_dir", "project_root"]

#: The Open Policy Agent release the policies are written and tested against.
OPA_VERSION = "1.22.3"
#: The Regal release used to lint the policies.
REGAL_VERSION = "0.39.0"
#: The Go module ``trustpolicy setup`` builds OPA from.
OPA_MODULE = "github.com/open-policy-agent/opa"
REGAL_MODULE = "github.com/open-policy-agent/regal"

_PACKAGE_DIR = Path(__file__).resolve().parent
_DATA_DIR = _PACKAGE_DIR.parent / "_data"
_VERSIONS: dict[tuple[str, int], str] = {}


def package_data(name: str) -> Path | None:
    """A file or folder shipped inside the installed package (``trustpolicy/_data``), if any."""
    path = _DATA_DIR / name
    return path if path.exists() else None


def tool_cache() -> Path:
    """The per-user tool cache: ``$TRUSTPOLICY_TOOL_CACHE`` or ``~/.cache/trustpolicy/tools``."""
    env = os.environ.get("TRUSTPOLICY_TOOL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trustpolicy" / "tools"


def cached_tool(name: str) -> Path | None:
    """The pinned ``name`` in the per-user cache, if a complete build is there.

    A build counts only with the ``.built`` stamp written after it finished, naming the
    module and version (the layout ``make setup`` and ``trustpolicy setup`` share).
    """
    module, version = (OPA_MODULE, OPA_VERSION) if name == "opa" else (REGAL_MODULE, REGAL_VERSION)
    folder = tool_cache() / f"{name}-v{version}"
    binary = folder / name
    try:
        stamp = (folder / ".built").read_text().strip()
    except OSError:
        return None
    if stamp == f"{module}@v{version}" and binary.is_file() and os.access(binary, os.X_OK):
        return binary
    return None


def opa_version(path: Path) -> str:
    """The version an ``opa`` binary reports (``opa version``), or raise ToolNotFound."""
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns)
    except OSError as exc:
        raise ToolNotFound(f"opa at {path} cannot be read: {exc.strerror}") from exc
    if key not in _VERSIONS:
        try:
            out = subprocess.run(
                [str(path), "version"], capture_output=True, text=True, timeout=30, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolNotFound(f"{path} is not a working opa ('opa version': {exc})") from exc
        found = re.search(r"^Version: (\S+)$", out, re.MULTILINE)
        if found is None:
            raise ToolNotFound(f"{path} does not say which opa version it is")
        _VERSIONS[key] = found.group(1)
    return _VERSIONS[key]


def _checked(name: str, path: Path, where: str) -> Path:
    """``path`` if it is the pinned version (opa only; Regal built from source says "unknown")."""
    if name != "opa":
        return path
    version = opa_version(path)
    if version != OPA_VERSION:
        raise ToolNotFound(
            f"opa {version} at {path} ({where}) is not the pinned opa {OPA_VERSION}: the policies "
            f"are tested against {OPA_VERSION} only. Run 'trustpolicy setup' to build it, or "
            f"point TRUSTPOLICY_OPA at an opa {OPA_VERSION} binary"
        )
    return path


def project_root() -> Path | None:
    """The source checkout this package runs from (editable install), if any."""
    for parent in _PACKAGE_DIR.parents:
        if (parent / "policies" / "trustpolicy").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    return None


def policies_dir() -> Path:
    """The policies: ``$TRUSTPOLICY_POLICIES``, the checkout's ``policies/``, or the installed copy.

    The wheel ships the policies (their tests included) as package data, so an installed
    package serves, builds, tests and lists the same policies as the checkout it came from.
    """
    env = os.environ.get("TRUSTPOLICY_POLICIES")
    if env:
        return Path(env)
    root = project_root()
    if root is not None:
        return root / "policies"
    shipped = package_data("policies")
    if shipped is None:
        raise ToolNotFound("policies/ not found: set TRUSTPOLICY_POLICIES to the policies folder")
    return shipped


def find_tool(name: str) -> Path:
    """Path of the pinned tool ``name`` (``opa`` or ``regal``).

    Looks at ``$TRUSTPOLICY_<NAME>``, then the checkout's ``.tools/bin``, then the per-user
    cache ``trustpolicy setup`` fills, then ``PATH``. An ``opa`` found is asked its version,
    and any other than :data:`OPA_VERSION` is refused (ToolNotFound saying what to do).
    """
    variable = f"TRUSTPOLICY_{name.upper()}"
    env = os.environ.get(variable)
    if env:
        path = Path(env)
        if path.is_file() and os.access(path, os.X_OK):
            return _checked(name, path, f"${variable}")
        raise ToolNotFound(f"{variable}={env} is not an executable file")
    root = project_root()
    if root is not None:
        local = root / ".tools" / "bin" / name
        if local.exists() and os.access(local, os.X_OK):
            return _checked(name, local, "the checkout's .tools/bin")
    cached = cached_tool(name)
    if cached is not None:
        return cached
    found = shutil.which(name)
    if found:
        return _checked(name, Path(found), "found on PATH")
    raise ToolNotFound(
        f"{name} not found: run 'trustpolicy setup' (or 'make setup' in a checkout) to build "
        f"the pinned {name} into {tool_cache()}, or set {variable}"
    )
