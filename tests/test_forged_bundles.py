"""Forging bundles through an HMAC configuration (issue 15, finding 1).

With ``algorithm: HS256`` and the city's *public* key as the "secret", anyone holding the
public key can sign a bundle the agent activates. Each test here runs the attack against
a real ``opa run`` with the configuration ``agent_config`` writes, and the real bundle
server: a PEM key with an HMAC algorithm is refused everywhere (signing, verifying, the
agent configuration), an HMAC secret is only ever referenced from the configuration, and
a configuration holding a secret is written 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from trustpolicy import ConfigError, EngineUnavailable
from trustpolicy.bundles._agent_config import agent_config, holds_secret, write_agent_config
from trustpolicy.bundles._bundle import SIGNATURES, build_bundle, read_bundle, write_archive
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.bundles._signing import (
    DEFAULT_HASH,
    SigningKey,
    VerificationKey,
    file_hash,
    generate_signing_key,
    sign_bundle,
    verify_bundle,
)
from trustpolicy.cli._cli import main
from trustpolicy.engine._engine import LocalOPA

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = json.loads(
    (Path(__file__).parent / "data" / "worked-examples.json").read_text(encoding="utf-8")
)
TOKEN = "agent-token-c11-" + secrets.token_hex(8)
SECRET_ENV = "TRUSTPOLICY_TEST_HMAC_SECRET"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hmac_forge(bundle: Path, out: Path, secret: bytes, *, revision: str, kid: str = "city") -> Path:
    """Re-sign ``bundle`` as revision ``revision`` with HS256 over ``secret`` (by hand).

    PyJWT refuses a PEM key as an HMAC secret; OPA does not, so the attacker signs by hand.
    """
    files = {n: d for n, d in read_bundle(bundle).files.items() if n != SIGNATURES}
    manifest = json.loads(files[".manifest"]) | {"revision": revision}
    files[".manifest"] = json.dumps(manifest).encode()
    listed = [{"name": n, "hash": file_hash(n, files[n]), "algorithm": DEFAULT_HASH} for n in files]
    header = _b64(json.dumps({"alg": "HS256", "kid": kid}).encode())
    payload = _b64(json.dumps({"files": listed, "keyid": kid}).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    files[SIGNATURES] = json.dumps({"signatures": [f"{header}.{payload}.{_b64(mac)}"]}).encode()
    return write_archive(files, out)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the real ``trustpolicy`` entry point; return its exit code and all it printed."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, policies: Path) -> dict[str, Any]:
    """The city's RS256 pair and HMAC secret, a genuine bundle of each, and the forgery."""
    out = tmp_path_factory.mktemp("forgery")
    pair = generate_signing_key(out / "keys", name="city")
    secret = generate_signing_key(out / "keys", algorithm="HS256", name="shared").private
    built = build_bundle(policies, out / "rev-1.tar.gz", revision="rev-1").path
    genuine_rs = sign_bundle(built, SigningKey.from_file(pair.private, key_id="city"))
    genuine_hs = sign_bundle(
        built,
        SigningKey.from_file(secret, algorithm="HS256", key_id="city"),
        out_path=out / "rev-1-hs.tar.gz",
    )
    forged = hmac_forge(built, out / "forged.tar.gz", pair.public.read_bytes(), revision="forged")
    return {
        "public": pair.public,
        "private": pair.private,
        "secret": secret,
        "rs": genuine_rs,
        "hs": genuine_hs,
        "forged": forged,
    }


@pytest.fixture
def server(city: dict[str, Any]) -> Iterator[BundleServer]:
    srv = BundleServer({"district-c11": TOKEN}, max_wait=30).start()
    yield srv
    srv.stop()


def _config(tmp_path: Path, server: BundleServer, **key: Any) -> Path:
    token = tmp_path / "bundle.token"
    token.write_text(TOKEN)
    config = agent_config(
        bundle_server_url=server.url,
        key_id="city",
        token_path=token,
        min_delay_seconds=1,
        max_delay_seconds=2,
        long_polling_timeout_seconds=10,
        persistence_directory=tmp_path / "persist",
        **key,
    )
    return write_agent_config(config, tmp_path / "opa-config.yaml")


def _revision(opa: LocalOPA) -> str:
    answer = requests.post(
        f"{opa.url}/v1/data/trustpolicy/decision",
        json={"input": EXAMPLES[2]["input"]},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["result"]["policy"]["revision"])


def _offer(opa: LocalOPA, server: BundleServer, bundle: Path) -> None:
    """Publish ``bundle`` and wait until the agent has downloaded it at least once."""
    served = server.requests.get("district-c11", 0)
    server.publish(bundle)
    deadline = time.monotonic() + 10
    while server.requests.get("district-c11", 0) <= served:
        assert time.monotonic() < deadline, "the agent never fetched the published bundle"
        time.sleep(0.05)
    time.sleep(1.0)  # activation, had it been accepted, happens right after the download


@pytest.mark.parametrize("algorithm", ["RS256", "HS256"])
def test_bundle_forged_with_the_public_key_is_never_activated(
    city, server, tmp_path, algorithm
) -> None:
    """The attack end to end: the forgery is all the server has, and the agent is new."""
    server.publish(city["forged"])
    if algorithm == "HS256":  # the config that would have activated it is never written
        with pytest.raises(ConfigError, match="public key is no secret"):
            _config(tmp_path, server, public_key=city["public"], algorithm=algorithm)
        assert not (tmp_path / "opa-config.yaml").exists()
        return
    path = _config(tmp_path, server, public_key=city["public"], algorithm=algorithm)
    opa = LocalOPA(config=path, startup_timeout=4)
    with pytest.raises(EngineUnavailable, match="not healthy"):
        opa.start()
    assert "failed to verify JWT signature" in opa.log_text()
    assert server.requests.get("district-c11", 0) >= 1


def test_running_agent_keeps_its_revision_when_offered_a_forgery(city, server, tmp_path) -> None:
    server.publish(city["rs"])
    with LocalOPA(config=_config(tmp_path, server, public_key=city["public"])) as opa:
        assert _revision(opa) == "rev-1"
        _offer(opa, server, city["forged"])
        assert _revision(opa) == "rev-1"
        assert "failed to verify JWT signature" in opa.log_text()


def test_hmac_secret_is_read_from_the_environment_and_never_written(
    city, server, tmp_path, monkeypatch
) -> None:
    secret = city["secret"].read_text()
    monkeypatch.setenv(SECRET_ENV, secret)
    path = _config(tmp_path, server, algorithm="HS256", hmac_secret_env=SECRET_ENV)
    text = path.read_text()
    assert secret not in text
    assert f"${{{SECRET_ENV}}}" in text
    server.publish(city["hs"])
    with LocalOPA(config=path) as opa:
        assert _revision(opa) == "rev-1"  # OPA substituted the secret and verified HS256
        _offer(opa, server, city["forged"])  # HS256, but over the public key
        assert _revision(opa) == "rev-1"


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_hmac_algorithm_with_a_pem_key_is_refused_by_sign_and_verify(city, algorithm) -> None:
    for pem in (city["public"], city["private"]):
        with pytest.raises(ConfigError, match="public key is no secret"):
            SigningKey.from_file(pem, algorithm=algorithm, key_id="city")
        with pytest.raises(ConfigError, match="public key is no secret"):
            VerificationKey.from_file(pem, algorithm=algorithm, key_id="city")
    with pytest.raises(ConfigError, match="shorter than 32 bytes"):
        SigningKey(b"short-secret", algorithm=algorithm)
    with pytest.raises(ConfigError, match="needs a PEM key"):
        VerificationKey(secrets.token_hex(32).encode(), algorithm="RS256")
    # The genuine HS256 bundle still verifies with the real secret.
    verified = verify_bundle(
        city["hs"], VerificationKey.from_file(city["secret"], algorithm="HS256", key_id="city")
    )
    assert verified.revision == "rev-1"


@pytest.mark.parametrize("command", ["sign", "verify"])
def test_bundle_cli_refuses_an_hmac_algorithm_with_a_pem_key(
    city, tmp_path, capsys, command
) -> None:
    target = tmp_path / "b.tar.gz"
    target.write_bytes(city["rs"].read_bytes())
    key = city["private"] if command == "sign" else city["public"]
    code, output = cli(
        capsys, "bundle", command, "--key", str(key), "--algorithm", "HS256", "--key-id", "city",
        str(target),
    )  # fmt: skip
    assert code != 0
    assert "public key is no secret" in output
    assert target.read_bytes() == city["rs"].read_bytes()  # nothing was signed


def test_agent_config_cli_refuses_an_hmac_algorithm_with_a_pem_key(city, tmp_path, capsys) -> None:
    out = tmp_path / "opa.yaml"
    code, output = cli(
        capsys, "agent-config", "--bundle-server", "http://127.0.0.1:9", "--public-key",
        str(city["public"]), "--algorithm", "HS256", "--out", str(out),
    )  # fmt: skip
    assert code != 0
    assert "public key is no secret" in output
    assert not out.exists()
    code, output = cli(
        capsys, "agent-config", "--bundle-server", "http://127.0.0.1:9", "--algorithm", "HS256",
        "--hmac-secret-env", SECRET_ENV, "--key-id", "city", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    assert f"${{{SECRET_ENV}}}" in out.read_text()


def test_agent_config_never_writes_an_hmac_secret_in(city) -> None:
    secret = city["secret"].read_bytes()
    for given in (secret, city["secret"], str(city["secret"])):
        with pytest.raises(ConfigError, match="never written into the agent configuration"):
            agent_config(
                bundle_server_url="http://127.0.0.1:9", public_key=given, algorithm="HS256"
            )
    with pytest.raises(ConfigError, match="needs hmac_secret_env"):
        agent_config(bundle_server_url="http://127.0.0.1:9", algorithm="HS256")
    with pytest.raises(ConfigError, match="not an environment variable name"):
        agent_config(
            bundle_server_url="http://127.0.0.1:9", algorithm="HS256", hmac_secret_env="A;B"
        )


def test_config_holding_a_secret_is_written_owner_only(city, tmp_path) -> None:
    public = agent_config(bundle_server_url="http://127.0.0.1:9", public_key=city["public"])
    assert not holds_secret(public)
    written = write_agent_config(public, tmp_path / "public.yaml")
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    inline = json.loads(json.dumps(public))
    inline["services"]["bundles"]["credentials"] = {"bearer": {"token": TOKEN}}
    assert holds_secret(inline)
    hmac_inline = json.loads(json.dumps(public))
    hmac_inline["keys"]["trustpolicy"] = {"key": "x" * 40, "algorithm": "HS256"}
    assert holds_secret(hmac_inline)
    for n, config in enumerate((inline, hmac_inline)):
        for suffix in (".yaml", ".json"):
            path = write_agent_config(config, tmp_path / f"secret-{n}{suffix}")
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Overwriting a world-readable file with a secret-holding config tightens it too.
    assert stat.S_IMODE(write_agent_config(inline, written).stat().st_mode) == 0o600
