"""Locating the pinned tools (``opa``, ``regal``) and the project's policy sources."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from trustpolicy.contract._errors import ToolNotFound

__all__ = ["OPA_VERSION", "REGAL_VERSION", "find_tool", "policies_dir", "project_root"]

#: The Open Policy Agent release the policies are written and tested against.
OPA_VERSION = "1.22.3"
#: The Regal release used to lint the policies.
REGAL_VERSION = "0.39.0"

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path | None:
    """The source checkout this package runs from (editable install), if any."""
    for parent in _PACKAGE_DIR.parents:
        if (parent / "policies" / "trustpolicy").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    return None


def policies_dir() -> Path:
    """The ``policies/`` directory: ``$TRUSTPOLICY_POLICIES`` or the checkout's own."""
    env = os.environ.get("TRUSTPOLICY_POLICIES")
    if env:
        return Path(env)
    root = project_root()
    if root is None:
        raise ToolNotFound("policies/ not found: set TRUSTPOLICY_POLICIES to the policies folder")
    return root / "policies"


def find_tool(name: str) -> Path:
    """Path of the pinned tool ``name`` (``opa`` or ``regal``).

    Looks at ``$TRUSTPOLICY_<NAME>``, then the checkout's ``.tools/bin``, then ``PATH``.
    """
    env = os.environ.get(f"TRUSTPOLICY_{name.upper()}")
    if env:
        path = Path(env)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ToolNotFound(f"TRUSTPOLICY_{name.upper()}={env} is not an executable file")
    root = project_root()
    if root is not None:
        local = root / ".tools" / "bin" / name
        if local.exists() and os.access(local, os.X_OK):
            return local
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolNotFound(
        f"{name} not found: run 'make setup' (or scripts/setup-tools.sh) to build the pinned "
        f"{name}, or set TRUSTPOLICY_{name.upper()}"
    )
