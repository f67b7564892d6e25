"""Operator commands end to end: keys, tokens, a CLI-built bundle, a real token-checking agent.

Before these commands only Python could stage client token digests, so a bundle built and
signed with the CLI and run with ``--authentication=token`` refused every client.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import requests

from conftest import ROOT, WORKED_EXAMPLES

if TYPE_CHECKING:
    from pathlib import Path

STOP = json.loads(WORKED_EXAMPLES.read_text())[2]["input"]  # deny BTA-INQ-01


def tp(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    return subprocess.run(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_keys_generate_writes_0600_and_0644_and_never_overwrites(tmp_path) -> None:
    proc = tp("keys", "generate", "--out-dir", tmp_path, "--name", "city", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "city.key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "city.pub.pem").stat().st_mode) == 0o644
    before = (tmp_path / "city.key.pem").read_bytes()
    again = tp("keys", "generate", "--out-dir", tmp_path, "--name", "city", cwd=tmp_path)
    assert again.returncode == 2
    assert "not overwriting" in again.stderr
    assert (tmp_path / "city.key.pem").read_bytes() == before


def test_token_new_prints_once_and_stores_only_the_digest(tmp_path) -> None:
    proc = tp("token", "new", "--client", "c11", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    secret = proc.stdout.strip()
    assert len(secret) >= 32
    assert secret not in proc.stderr
    clients = json.loads((tmp_path / "api-clients.json").read_text())["api_clients"]
    assert set(clients) == {"c11"}
    assert secret not in (tmp_path / "api-clients.json").read_text()
    again = tp("token", "new", "--client", "c11", cwd=tmp_path)
    assert again.returncode == 2
    assert "--replace" in again.stderr
    to_file = tp("token", "new", "--client", "c12", "--out", tmp_path / "c12.token", cwd=tmp_path)
    assert to_file.returncode == 0
    assert to_file.stdout == ""
    assert stat.S_IMODE((tmp_path / "c12.token").stat().st_mode) == 0o600
    revoked = tp("token", "revoke", "--client", "c11", cwd=tmp_path)
    assert revoked.returncode == 0
    assert set(json.loads((tmp_path / "api-clients.json").read_text())["api_clients"]) == {"c12"}


def test_cli_built_signed_bundle_with_token_authentication_admits_its_clients(tmp_path) -> None:
    assert tp("keys", "generate", "--name", "city", cwd=tmp_path).returncode == 0
    assert tp("token", "new", "--client", "c11", "--out", "c11.token", cwd=tmp_path).returncode == 0
    assert tp("token", "new", "--client", "c12", "--out", "c12.token", cwd=tmp_path).returncode == 0
    built = tp("bundle", "build", "--policies", ROOT / "policies", "--out", "b.tar.gz",
               "--clients", "api-clients.json", cwd=tmp_path)  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "admits 2 client(s): c11, c12" in built.stdout
    signed = tp("bundle", "sign", "--key", "city.key.pem", "--key-id", "city", "b.tar.gz",
                cwd=tmp_path)  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    # A token the bundle does not carry: serve refuses before starting OPA.
    (tmp_path / "stranger.token").write_text("stranger-token-0123456789abcdef\n")
    refused = tp("serve", "--bundle", "b.tar.gz", "--verification-key", "city.pub.pem",
                 "--key-id", "city", "--token-file", "stranger.token", cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2
    assert "admits no client with this token (its clients: c11, c12)" in refused.stderr

    port, probes = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    agent = subprocess.Popen(
        [sys.executable, "-m", "trustpolicy", "serve", "--bundle", "b.tar.gz",
         "--verification-key", "city.pub.pem", "--key-id", "city", "--token-file", "c11.token",
         "--addr", f"127.0.0.1:{port}", "--diagnostic-addr", f"127.0.0.1:{probes}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        auth = {"Authorization": f"Bearer {(tmp_path / 'c11.token').read_text().strip()}"}
        deadline = time.monotonic() + 30
        ready = False
        while not ready and time.monotonic() < deadline and agent.poll() is None:
            try:
                ready = requests.get(
                    f"http://127.0.0.1:{probes}/health?bundles", headers=auth, timeout=1
                ).ok
            except requests.RequestException:
                time.sleep(0.1)
        assert ready, "agent not ready"
        # OPA checks the diagnostic listener's callers too: without a token, 401.
        assert requests.get(f"http://127.0.0.1:{probes}/health", timeout=5).status_code == 401
        (tmp_path / "r.json").write_text(json.dumps(STOP))
        url = f"http://127.0.0.1:{port}"
        for client in ("c11", "c12"):
            asked = tp("decide", "--url", url, "--token-file", f"{client}.token", "r.json",
                       cwd=tmp_path)  # fmt: skip
            assert asked.returncode == 1, asked.stderr  # deny, decided by the agent
            assert json.loads(asked.stdout)["outcome"] == "deny"
        nobody = tp("decide", "--url", url, "r.json", cwd=tmp_path)
        assert nobody.returncode == 4
        assert "401" in nobody.stderr
        stranger = tp("decide", "--url", url, "--token-file", "stranger.token", "r.json",
                      cwd=tmp_path)  # fmt: skip
        assert stranger.returncode == 4
    finally:
        agent.send_signal(signal.SIGTERM)
        out, _ = agent.communicate(timeout=30)
    assert agent.returncode == 0, out
    for name in ("c11", "c12"):
        assert (tmp_path / f"{name}.token").read_text().strip() not in out
