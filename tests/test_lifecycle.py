"""Long-running commands and LocalOPA under real signals, on real processes.

What systemd, Docker and Kubernetes do (SIGTERM), what a terminal does (SIGINT), what a
background job of a script does (SIGINT ignored), and what a crash does (SIGKILL of the
parent): each command exits 0 on the first two and no OPA child ever outlives its parent.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest
import requests

from conftest import ROOT
from trustpolicy import LocalOPA, SigningKey, build_bundle, generate_signing_key, sign_bundle

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

TOKEN = "lifecycle-agent-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:  # noqa: PTH123
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _start(out: Path, *args: str | Path, ignore_sigint: bool = False) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    env["TRUSTPOLICY_BUNDLE_TOKENS"] = f"c11={TOKEN}"
    env["TRUSTPOLICY_REGISTER_KEY"] = "ab" * 32  # the detainer register's key (hex)
    with out.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "trustpolicy", *map(str, args)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
            # What a non-interactive shell does to a background job ('cmd &').
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # noqa: PLW1509
            if ignore_sigint
            else None,
        )


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _opa_pid(out: Path) -> int:
    assert _wait(lambda: "(pid " in out.read_text(), 30), out.read_text()
    found = re.search(r"\(pid (\d+)\)", out.read_text())
    assert found, out.read_text()
    return int(found.group(1))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "b.tar.gz"
    return build_bundle(ROOT / "policies", out, revision="lifecycle-1").path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_on_signal_with_exit_0_and_leaves_no_opa(tmp_path, bundle, signum) -> None:
    port, probes = _free_port(), _free_port()
    out = tmp_path / "serve.out"
    proc = _start(
        out, "serve", "--bundle", bundle, "--addr", f"127.0.0.1:{port}",
        "--diagnostic-addr", f"127.0.0.1:{probes}",
    )  # fmt: skip
    try:
        opa = _opa_pid(out)
        assert _ok(f"http://127.0.0.1:{probes}/health?bundles")  # readiness, no token
        assert _ok(f"http://127.0.0.1:{probes}/health")  # liveness
        proc.send_signal(signum)
        assert proc.wait(30) == 0, out.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert _wait(lambda: _gone(opa), 5), f"opa {opa} outlived serve"
    assert not _ok(f"http://127.0.0.1:{port}/health")
    assert "stopped" in out.read_text()


def test_serve_in_a_background_job_ignores_sigint_and_stops_on_sigterm(tmp_path, bundle) -> None:
    out = tmp_path / "serve.out"
    proc = _start(out, "serve", "--bundle", bundle, "--port", str(_free_port()), ignore_sigint=True)
    try:
        opa = _opa_pid(out)
        proc.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert proc.poll() is None, "a SIGINT the shell told us to ignore stopped serve"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, out.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert _wait(lambda: _gone(opa), 5), f"opa {opa} outlived serve"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_bundle_serve_and_collector_stop_on_signal_with_exit_0(tmp_path, bundle, signum) -> None:
    bundle_port, collector_port = _free_port(), _free_port()
    tokens = tmp_path / "agents.json"
    tokens.write_text(json.dumps({"c11": TOKEN}))
    servers = [
        (_start(tmp_path / "b.out", "bundle", "serve", "--port", bundle_port, bundle), bundle_port),
        (
            _start(tmp_path / "c.out", "collect", "--db", tmp_path / "d.sqlite",
                   "--tokens", tokens, "--port", str(collector_port)),
            collector_port,
        ),
    ]  # fmt: skip
    try:
        for proc, port in servers:
            assert _wait(lambda port=port: _ok(f"http://127.0.0.1:{port}/health"), 30)
            proc.send_signal(signum)
        codes = [proc.wait(30) for proc, _ in servers]
    finally:
        for proc, _ in servers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    assert codes == [0, 0], (tmp_path / "b.out").read_text() + (tmp_path / "c.out").read_text()
    assert "collector: stopping" in (tmp_path / "c.out").read_text()
    assert TOKEN not in (tmp_path / "b.out").read_text() + (tmp_path / "c.out").read_text()
    for _, port in servers:
        with socket.socket() as sock:  # the port is free again
            sock.bind(("127.0.0.1", port))


_PARENT = """
import sys, threading, time
from trustpolicy import LocalOPA
engines = []
def start():
    engines.append(LocalOPA(policies=sys.argv[1], opa=sys.argv[2]).start())
if sys.argv[3] == "thread":  # started from a worker thread that then ends
    worker = threading.Thread(target=start)
    worker.start()
    worker.join()
else:
    start()
print(engines[0].pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("where", ["main", "thread"])
def test_local_opa_dies_with_a_parent_killed_by_sigkill(tmp_path, opa_bin, where) -> None:
    policies = tmp_path / "p"
    policies.mkdir()
    (policies / "p.rego").write_text("package trustpolicy\n\ndecision := {}\n")
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_PARENT), policies, opa_bin, where],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        opa = int(parent.stdout.readline())
        time.sleep(1.0)  # a thread that started it has ended: OPA must still run
        assert not _gone(opa), "opa died with the thread that started it"
        parent.kill()  # SIGKILL: no atexit, no finaliser, nothing runs in the parent
        parent.wait(10)
        assert _wait(lambda: _gone(opa), 5), f"opa {opa} outlived its SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


def test_serve_says_why_opa_did_not_start_in_opa_own_words(tmp_path, bundle) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "trustpolicy", "serve", "--bundle", bundle, "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 4, proc.stderr
    assert f"listen tcp 127.0.0.1:{port}: bind: address already in use" in proc.stderr


def test_signed_bundle_without_a_key_names_the_missing_verification_key(tmp_path) -> None:
    keys = generate_signing_key(tmp_path, algorithm="ES256", name="k")
    signed = build_bundle(ROOT / "policies", tmp_path / "s.tar.gz", revision="signed-1").path
    sign_bundle(signed, SigningKey.from_file(keys.private, algorithm="ES256", key_id="k"))
    proc = subprocess.run(
        [sys.executable, "-m", "trustpolicy", "serve", "--bundle", signed,
         "--port", str(_free_port())],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 4, proc.stderr
    assert "verification key not provided" in proc.stderr, proc.stderr


def test_opa_is_run_without_deprecated_flags(opa_bin) -> None:
    with LocalOPA(opa=opa_bin) as engine:
        assert requests.get(f"{engine.url}/health", timeout=5).status_code == 200
        log = engine.log_text()
    assert "deprecated" not in log.lower(), log
    assert "--disable-telemetry" not in log


def test_serve_without_a_token_is_loopback_only_and_says_so(tmp_path, bundle) -> None:
    # Off loopback without authentication: refused before anything starts (exit 2).
    refused = subprocess.run(
        [sys.executable, "-m", "trustpolicy", "serve", "--bundle", str(bundle),
         "--addr", "0.0.0.0:8181"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    assert "for loopback development only" in refused.stderr
    # On loopback it serves, and warns on stderr.
    out = tmp_path / "serve.out"
    proc = _start(out, "serve", "--bundle", bundle, "--addr", f"127.0.0.1:{_free_port()}")
    try:
        _opa_pid(out)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, out.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert "no authentication" in out.read_text()
