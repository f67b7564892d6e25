"""API tokens: generated, read from files or the environment, hashed, staged into a bundle."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from trustpolicy import ConfigError
from trustpolicy.contract._tokens import (
    API_CLIENTS_FILE,
    api_clients,
    generate_token,
    read_token,
    stage_policies,
    token_sha256,
)


def test_generated_tokens_are_long_random_and_distinct() -> None:
    tokens = {generate_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 43 and t.isascii() and " " not in t for t in tokens)
    with pytest.raises(ConfigError):
        generate_token(8)


def test_digest_matches_what_rego_computes(opa_bin) -> None:
    token = generate_token()
    proc = subprocess.run(
        [str(opa_bin), "eval", "--format=raw", f'crypto.sha256("{token}")'],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert proc.stdout.strip() == token_sha256(token)
    assert token_sha256(token) == hashlib.sha256(token.encode()).hexdigest()


def test_token_is_read_from_a_file_or_the_environment(tmp_path, monkeypatch) -> None:
    token = generate_token()
    path = tmp_path / "api.token"
    path.write_text(f"  {token}\n")
    assert read_token(path) == token
    monkeypatch.setenv("C11_TOKEN", token)
    assert read_token(env="C11_TOKEN") == token
    monkeypatch.setenv("TRUSTPOLICY_TOKEN", token)
    assert read_token() == token


@pytest.mark.parametrize("bad", ["", "short", "has a space in it, long enough", "é" * 20])
def test_unusable_token_is_refused_without_echoing_it(tmp_path, monkeypatch, bad) -> None:
    path = tmp_path / "api.token"
    path.write_text(bad)
    with pytest.raises(ConfigError) as from_file:
        read_token(path)
    monkeypatch.setenv("C11_TOKEN", bad)
    with pytest.raises(ConfigError) as from_env:
        read_token(env="C11_TOKEN")
    for exc in (from_file.value, from_env.value):
        assert not bad or bad not in str(exc)
    with pytest.raises(ConfigError):
        read_token(tmp_path / "missing.token")
    with pytest.raises(ConfigError):
        read_token(env=None)


def test_staged_policies_carry_digests_not_tokens_and_no_tests(tmp_path, policies) -> None:
    token = generate_token()
    clients = api_clients({"district-c11": token})
    assert clients == {"district-c11": token_sha256(token)}
    out = stage_policies(policies, tmp_path / "staged", clients)
    data = json.loads((out / API_CLIENTS_FILE).read_text())
    assert data == {"api_clients": clients}
    texts = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert token not in texts
    assert not list(out.rglob("*_test.rego"))
    assert (out / "system" / "authz" / "authz.rego").is_file()
    assert (out / "trustpolicy" / "decision.rego").is_file()


@pytest.mark.parametrize(
    "clients",
    [
        {},
        {"district c11": "0" * 64},
        {"c11": "0" * 63},
        {"c11": "A" * 64},
        {"c11": "token-in-clear"},
    ],
)
def test_staging_refuses_anything_but_named_digests(tmp_path, policies, clients) -> None:
    with pytest.raises(ConfigError):
        stage_policies(policies, tmp_path / "staged", clients)


def test_staging_never_writes_into_a_used_directory(tmp_path, policies) -> None:
    (tmp_path / "staged").mkdir()
    (tmp_path / "staged" / "keep.txt").write_text("x")
    with pytest.raises(ConfigError):
        stage_policies(policies, tmp_path / "staged", {"c11": "0" * 64})
    with pytest.raises(ConfigError):
        stage_policies(tmp_path / "nope", tmp_path / "other", {"c11": "0" * 64})
