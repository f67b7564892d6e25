"""``trustpolicy setup``: build the pinned tools into the per-user cache with ``go install``.

The same cache and layout as ``scripts/setup-tools.sh`` (``make setup``):
``<cache>/opa-v1.22.3/opa`` plus a ``.built`` stamp naming ``module@version``, written only
after a complete build, so a cache filled by either is reused by both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from trustpolicy.contract._errors import ToolNotFound
from trustpolicy.engine._tools import (
    OPA_MODULE,
    OPA_VERSION,
    REGAL_MODULE,
    REGAL_VERSION,
    cached_tool,
    opa_version,
    tool_cache,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__: list[str] = []  # internal: install_tool, used by the setup command

#: The Go release OPA's go.mod asks for (``go 1.26.0``); older toolchains refuse to build it.
GO_NEEDED = "1.26"
_BUILD_TIMEOUT = 1800


def _no_go(name: str, module: str, version: str) -> ToolNotFound:
    return ToolNotFound(
        f"Go is needed to build {name} {version} and 'go' is not on PATH. Install Go "
        f"{GO_NEEDED} or newer (your platform's Go package, or the official Go release "
        f"unpacked with its bin/ on PATH), then run 'trustpolicy setup' again. It runs "
        f"'go install {module}@v{version}' once and keeps the binary in {tool_cache()}. "
        f"Or point TRUSTPOLICY_{name.upper()} at a {name} {version} binary you already have."
    )


def install_tool(name: str, *, echo: Callable[[str], None]) -> tuple[Path, bool]:
    """Return the cached ``name`` (``opa`` or ``regal``), building it first if needed.

    The second value says whether it was built now. Raises ToolNotFound (saying what to do)
    without Go or when the build fails.
    """
    module, version = (OPA_MODULE, OPA_VERSION) if name == "opa" else (REGAL_MODULE, REGAL_VERSION)
    cached = cached_tool(name)
    if cached is not None:
        return cached, False
    go = shutil.which("go")
    if go is None:
        raise _no_go(name, module, version)
    cache = tool_cache()
    cache.mkdir(parents=True, exist_ok=True)
    echo(f"building {name} {version} with 'go install {module}@v{version}' (a few minutes)...")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f".build-{name}-", dir=cache) as tmp:
        # A throwaway module: 'go install module@version' alone also asks the proxy for the
        # module's version list, which the proxy refuses for Regal.
        env = os.environ | {
            "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-buildvcs=false",
            "GOBIN": tmp,
        }  # fmt: skip
        steps = (
            [go, "mod", "init", f"trustpolicy-tools/{name}"],
            [go, "get", f"{module}@v{version}"],
            [go, "install", module],
        )
        for step in steps:
            done = subprocess.run(
                step, cwd=tmp, env=env, capture_output=True, text=True,
                timeout=_BUILD_TIMEOUT, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise ToolNotFound(
                    f"building {name} {version} failed at '{' '.join(step[1:])}' "
                    f"(Go {GO_NEEDED} or newer is needed):\n{(done.stderr or done.stdout)[-3000:]}"
                )
        folder = cache / f"{name}-v{version}"
        folder.mkdir(parents=True, exist_ok=True)
        (Path(tmp) / name).replace(folder / name)
    (folder / ".built").write_text(f"{module}@v{version}\n")
    binary = folder / name
    if name == "opa" and opa_version(binary) != OPA_VERSION:
        raise ToolNotFound(f"{binary} was built but does not report version {OPA_VERSION}")
    echo(f"built {name} {version} in {time.monotonic() - started:.0f} s -> {binary}")
    return binary, True
