"""The built wheel, installed in fresh virtualenvs outside the checkout, as a city would.

One virtualenv gets ``trustpolicy[server,pdf]`` and runs ``setup``, a local decision, the
policy commands and the demo; another gets the client only. Both run from a directory
outside the checkout with no TRUSTPOLICY_* variables, so nothing can fall back on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, WORKED_EXAMPLES
from trustpolicy import OPA_VERSION

STOP = json.loads(WORKED_EXAMPLES.read_text())[2]["input"]  # deny BTA-INQ-01
CACHE = Path(
    os.environ.get("TRUSTPOLICY_TOOL_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trustpolicy" / "tools"
)
# No Go on this PATH (it lives in /usr/local/go/bin here); added back where a test needs it.
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


class Env:
    """A virtualenv with the wheel installed, run from ``home`` (outside the checkout)."""

    def __init__(self, venv: Path, home: Path) -> None:
        self.venv, self.home = venv, home

    def run(
        self, *args: str | Path, extra: dict[str, str] | None = None, path: str = BASE_PATH
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTPOLICY_", "VIRTUAL"))}
        env.pop("PYTHONPATH", None)
        env["PATH"] = f"{self.venv / 'bin'}:{path}"
        env.update(extra or {})
        return subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, cwd=self.home, env=env,
            timeout=600, check=False,
        )  # fmt: skip

    def tp(self, *args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return self.run(self.venv / "bin" / "trustpolicy", *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "-w", out, ROOT],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("trustpolicy-*.whl")
    return built, proc.stdout + proc.stderr


def _venv(tmp: Path, requirement: str) -> Env:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    env = Env(venv, tmp / "home")
    env.home.mkdir()
    pip = env.run(venv / "bin" / "python", "-m", "pip", "install", "--quiet",
                  "--disable-pip-version-check", requirement)  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return env


@pytest.fixture(scope="module")
def server(wheel, tmp_path_factory) -> Env:
    # The demo writes the PDF report too, so it needs the pdf extra as well.
    return _venv(tmp_path_factory.mktemp("server"), f"{wheel[0]}[server,pdf]")


@pytest.fixture(scope="module")
def client_only(wheel, tmp_path_factory) -> Env:
    return _venv(tmp_path_factory.mktemp("client"), str(wheel[0]))


def test_wheel_ships_policies_and_examples_and_builds_without_license_warning(wheel) -> None:
    built, output = wheel
    assert "project.license` as a TOML table is deprecated" not in output
    names = set(zipfile.ZipFile(built).namelist())
    shipped = {n.split("_data/policies/", 1)[1] for n in names if "_data/policies/" in n}
    in_checkout = {str(p.relative_to(ROOT / "policies")) for p in (ROOT / "policies").rglob("*")
                   if p.is_file() and not p.name.startswith(".")}  # fmt: skip
    assert shipped == in_checkout
    assert "trustpolicy/_data/worked-examples.json" in names
    metadata = zipfile.ZipFile(built).read(f"{built.name.split('-py3')[0]}.dist-info/METADATA")
    assert b"License-Expression: Apache-2.0" in metadata


def test_installed_setup_reuses_the_cache_then_decides_locally(server) -> None:
    assert (CACHE / f"opa-v{OPA_VERSION}" / ".built").is_file(), "make setup fills this cache"
    setup = server.tp("setup")
    assert setup.returncode == 0, setup.stderr
    assert f"opa {OPA_VERSION}: found {CACHE / f'opa-v{OPA_VERSION}' / 'opa'}" in setup.stdout
    (server.home / "r.json").write_text(json.dumps(STOP))
    decided = server.tp("decide", "--local", "r.json")
    assert decided.returncode == 1, decided.stderr
    assert json.loads(decided.stdout)["outcome"] == "deny"
    code = (
        "from trustpolicy import Client, LocalOPA\n"
        "import trustpolicy, sys\n"
        "assert '/work/' not in trustpolicy.__file__, trustpolicy.__file__\n"
        f"with LocalOPA() as opa, Client(opa.url) as c:\n"
        f"    print(c.decide({STOP!r}).outcome.value)\n"
    )
    python = server.run(server.venv / "bin" / "python", "-c", code)
    assert python.stdout.strip() == "deny", python.stderr


def test_installed_policy_commands_match_the_checkout(server) -> None:
    def checkout(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "trustpolicy", *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=600, check=False)  # fmt: skip

    def rows(text: str) -> list[dict[str, object]]:  # files relative to their policies/
        table = json.loads(text)
        for row in table:
            row["file"] = str(row["file"]).rsplit("policies/", 1)[1]
        return table

    ours = server.tp("provisions", "--format", "json")
    assert ours.returncode == 0, ours.stderr
    assert rows(ours.stdout) == rows(checkout("provisions", "--format", "json").stdout)
    tested = server.tp("test")
    assert tested.stdout.splitlines()[0] == checkout("test").stdout.splitlines()[0]
    built = server.tp("bundle", "build", "--out", "b.tar.gz", "--revision", "installed-1")
    assert built.returncode == 0, built.stderr
    assert (server.home / "b.tar.gz").is_file()


def test_installed_demo_runs_and_every_worked_example_matches(server) -> None:
    demo = server.tp("demo")
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr
    assert "worked examples all as expected" in demo.stdout


def test_wrong_opa_on_path_or_in_the_variable_is_refused(server, tmp_path) -> None:
    fake = tmp_path / "bin" / "opa"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Version: 0.69.0'\n")
    fake.chmod(0o755)
    (server.home / "r.json").write_text(json.dumps(STOP))
    empty = {"TRUSTPOLICY_TOOL_CACHE": str(tmp_path / "no-cache")}
    on_path = server.tp(
        "decide", "--local", "r.json", extra=empty, path=f"{fake.parent}:{BASE_PATH}"
    )
    assert on_path.returncode == 4
    assert f"opa 0.69.0 at {fake} (found on PATH) is not the pinned opa {OPA_VERSION}" in (
        on_path.stderr
    )
    in_variable = server.tp("decide", "--local", "r.json", extra={"TRUSTPOLICY_OPA": str(fake)})
    assert in_variable.returncode == 4
    assert "($TRUSTPOLICY_OPA) is not the pinned opa" in in_variable.stderr
    assert "trustpolicy setup" in in_variable.stderr


def test_setup_without_go_says_exactly_what_to_do(server, tmp_path) -> None:
    proc = server.tp("setup", extra={"TRUSTPOLICY_TOOL_CACHE": str(tmp_path / "empty")})
    assert proc.returncode == 4
    assert "Go is needed to build opa 1.22.3 and 'go' is not on PATH" in proc.stderr
    assert "Install Go 1.26 or newer" in proc.stderr
    assert "go install github.com/open-policy-agent/opa@v1.22.3" in proc.stderr


def test_client_only_install_decides_and_names_the_server_extra(client_only) -> None:
    code = (
        "import importlib.util, trustpolicy\n"
        "from trustpolicy import Client, DecisionRequest, LocalOPA\n"
        "for name in ('aiohttp', 'cryptography', 'jwt', 'opa_client'):\n"
        "    assert importlib.util.find_spec(name) is None, name\n"
        "try:\n"
        "    from trustpolicy import BundleServer\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    python = client_only.run(client_only.venv / "bin" / "python", "-c", code)
    assert python.returncode == 0, python.stderr
    assert "pip install 'trustpolicy[server]'" in python.stdout
    (client_only.home / "r.json").write_text(json.dumps(STOP))
    decided = client_only.tp("decide", "--local", "r.json")
    assert decided.returncode == 1, decided.stderr
    assert json.loads(decided.stdout)["outcome"] == "deny"
    serve = client_only.tp("bundle", "serve", "b.tar.gz")
    assert serve.returncode == 2
    assert "'trustpolicy bundle' needs the server extra (aiohttp is not installed)" in serve.stderr
    assert "Traceback" not in serve.stderr
