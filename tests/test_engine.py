"""LocalOPA: the pinned OPA as a real process on a loopback port."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trustpolicy import Client, EngineError, EngineUnavailable, LocalOPA, generate_token

DECISION = """package trustpolicy

decision := {"outcome": "deny", "allowed": false, "violations": [], "exceptions": [],
  "escalations": [], "obligations": [], "policy": {"revision": "test"}}
"""

AUTHZ = """package system.authz

default allow := false

allow if input.identity == "s3cret"
"""


def _post(url: str, path: str, body: object, headers: dict[str, str] | None = None):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); check its state.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("policy")
    (path / "decision.rego").write_text(DECISION)
    return path


def test_serves_policy_on_loopback_with_decision_id(opa_bin: Path, policy_dir: Path) -> None:
    with LocalOPA(policies=policy_dir, opa=opa_bin) as opa:
        assert opa.url.startswith("http://127.0.0.1:")
        status, body = _post(opa.url, "/v1/data/trustpolicy/decision", {"input": {}})
        assert status == 200
        assert body["result"]["outcome"] == "deny"
        assert body["decision_id"]
        assert "Sent response" in opa.log_text()
    assert opa.pid is None


def test_stop_restart_and_kill_leave_no_process(opa_bin: Path, policy_dir: Path) -> None:
    opa = LocalOPA(policies=policy_dir, opa=opa_bin).start()
    try:
        first_pid, port = opa.pid, opa.port
        assert first_pid is not None
        opa.restart()
        assert opa.port == port
        assert opa.pid not in (None, first_pid)
        assert not _alive(first_pid)
        second = opa.pid
        assert second is not None
        opa.kill()
        assert opa.pid is None
        assert not _alive(second)
    finally:
        opa.stop()


def test_broken_policy_raises_with_opa_log(opa_bin: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text("package trustpolicy\n\ndecision := {\n")
    with pytest.raises(EngineUnavailable) as info:
        LocalOPA(policies=tmp_path, opa=opa_bin, startup_timeout=10).start()
    assert "rego_parse_error" in str(info.value)
    assert info.value.url is not None


def test_token_authentication(opa_bin: Path, policy_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "authz.rego").write_text(AUTHZ)
    with LocalOPA(policies=[policy_dir, tmp_path], token="s3cret", opa=opa_bin) as opa:
        path = "/v1/data/trustpolicy/decision"
        assert _post(opa.url, path, {"input": {}})[0] == 401
        ok = _post(opa.url, path, {"input": {}}, {"Authorization": "Bearer s3cret"})
        assert ok[0] == 200


def test_config_mapping_turns_off_console_logs(opa_bin: Path, policy_dir: Path) -> None:
    config = {"decision_logs": {"console": False}, "labels": {"app": "trustpolicy-test"}}
    with LocalOPA(policies=policy_dir, config=config, opa=opa_bin) as opa:
        status, body = _post(opa.url, "/v1/data/trustpolicy/decision", {"input": {}})
        assert status == 200
        assert "decision_id" not in body


def test_default_serves_project_policies(opa_bin: Path, policies: Path) -> None:
    if not (policies / "trustpolicy" / "decision.rego").exists():
        pytest.fail("policies/trustpolicy/decision.rego is missing")
    with LocalOPA(opa=opa_bin) as opa:
        status, body = _post(opa.url, "/v1/data/trustpolicy/decision", {"input": {}})
        assert status == 200
        assert body["result"]["allowed"] is False


def test_testing_plugin_gives_users_a_running_engine(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["trustpolicy.testing"]\n')
    (tmp_path / "test_user.py").write_text(
        "def test_detainer(local_opa, trustpolicy_client):\n"
        "    assert local_opa.url.startswith('http://127.0.0.1:')\n"
        "    decision = trustpolicy_client.decide({'action': 'receive_detainer',\n"
        "        'actor': {'agency': 'BPD', 'role': 'police_officer', 'district': 'C-11'}})\n"
        "    assert [o.rule for o in decision.obligations] == ['BTA-RPT-01']\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_token_protected_engine_on_the_project_policies(opa_bin: Path, policies: Path) -> None:
    # system.authz admits only known token digests: LocalOPA stages this token's digest.
    token = generate_token()
    request = {"action": "receive_detainer", "actor": {"agency": "BPD", "role": "police_officer"}}
    with LocalOPA(policies=policies, token=token, opa=opa_bin) as opa:
        with Client(opa.url, token=token) as client:
            assert client.decide(request).rules == {"BTA-RPT-01"}
        with (
            Client(opa.url, token=generate_token()) as stranger,
            pytest.raises(EngineError, match="401"),
        ):
            stranger.decide(request)
        assert token not in opa.log_text()
    assert not (policies / "system" / "authz" / "data.json").exists()
