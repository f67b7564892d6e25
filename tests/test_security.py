"""The locked-down agent: real OPA with token authentication and the bundled system.authz.

A department's token may only ask for decisions and health; nobody may read or change
policies or data through the API; unknown tokens get 401 and the SDK never turns that
into an allow. TLS with a CA made here; tokens and signing keys never reach a log.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trustpolicy import (
    AsyncClient,
    Client,
    EngineError,
    EngineUnavailable,
    LocalOPA,
    agent_config,
    build_bundle,
    generate_signing_key,
    sign_bundle,
    write_agent_config,
)
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.bundles._signing import SigningKey
from trustpolicy.contract._tokens import api_clients, generate_token, stage_policies, token_sha256

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = json.loads(
    (Path(__file__).parent / "data" / "worked-examples.json").read_text(encoding="utf-8")
)
# Made per run, so a match in a log can only come from this run's leak.
TOKEN = generate_token()
OTHER_DEPARTMENT = generate_token()
BUNDLE_TOKEN = generate_token()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, policies: Path) -> dict[str, Any]:
    """The real policies plus this run's client digests, built and signed."""
    out = tmp_path_factory.mktemp("secure-bundle")
    clients = api_clients({"district-c11": TOKEN, "records": OTHER_DEPARTMENT})
    staged = stage_policies(policies, out / "staged", clients)
    pair = generate_signing_key(out / "keys", name="city")
    key = SigningKey.from_file(pair.private, key_id="city")
    bundle = build_bundle(staged, out / "bundle.tar.gz", revision="secure-1").path
    return {
        "bundle": sign_bundle(bundle, key),
        "public": pair.public,
        "private_pem": pair.private.read_text(),
    }


@pytest.fixture(scope="module")
def agent(signed: dict[str, Any]) -> Iterator[LocalOPA]:
    """One agent from the signed bundle, with tokens required and debug logging on."""
    with LocalOPA(
        bundle=signed["bundle"],
        verification_key=signed["public"],
        verification_key_id="city",
        token=TOKEN,
        extra_args=["--log-level=debug"],
    ) as opa:
        yield opa


def raw(agent: LocalOPA, method: str, path: str, token: str | None = TOKEN, **kw: Any):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.request(method, agent.url + path, headers=headers, timeout=10, **kw)


def test_department_token_decides_every_worked_example(agent) -> None:
    with Client(agent.url, token=TOKEN) as client:
        assert client.health()
        assert client.policy_revision() == "secure-1"
        decisions = client.decide_many(e["input"] for e in EXAMPLES)
        single = client.decide(EXAMPLES[0]["input"])
    assert [d.outcome.value for d in decisions] == [e["expect"]["outcome"] for e in EXAMPLES]
    assert single.outcome.value == "deny"
    assert single.rules == {"BTA-DET-01", "MA-LUNN-01", "BTA-RPT-01"}


def test_each_listed_department_has_its_own_token(agent) -> None:
    with Client(agent.url, token=OTHER_DEPARTMENT) as client:
        assert client.decide(EXAMPLES[2]["input"]).outcome.value == "deny"


async def test_async_client_with_token(agent) -> None:
    async with AsyncClient(agent.url, token=TOKEN) as client:
        assert await client.health()
        assert (await client.decide(EXAMPLES[1]["input"])).outcome.value == "allow"


@pytest.mark.parametrize(
    "token",
    [None, "", "wrong-token-0123456789", TOKEN + "x", TOKEN.upper(), token_sha256(TOKEN)],
    ids=["missing", "empty", "unknown", "longer", "case", "the-digest-itself"],
)
def test_unknown_token_gets_401_and_never_an_allow(agent, token) -> None:
    allow_example = EXAMPLES[1]["input"]  # worked example 2: allowed for a known caller
    answer = raw(
        agent, "POST", "/v1/data/trustpolicy/decision", token, json={"input": allow_example}
    )
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"
    assert "result" not in answer.json()
    assert raw(agent, "GET", "/health", token).status_code == 401
    with Client(agent.url, token=token or None) as client:
        with pytest.raises(EngineError) as caught:
            client.decide(allow_example)
        assert caught.value.status == 401
        assert not client.health()
    with Client(agent.url, token=token or None, on_error="deny") as client:
        decision = client.decide(allow_example)
        batch = client.decide_many([allow_example, allow_example])
    assert not decision.allowed
    assert decision.rules == {"TP-ENGINE-01"}
    assert [d.rules for d in batch] == [{"TP-ENGINE-01"}] * 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/v1/policies/backdoor", b"package trustpolicy\ndecision := {}"),
        ("DELETE", "/v1/policies/trustpolicy/decision.rego", None),
        ("GET", "/v1/policies", None),
        ("PUT", "/v1/data/trustpolicy/decision", b'{"outcome": "allow", "allowed": true}'),
        ("PUT", "/v1/data/system/authz/api_clients", b'{"me": "00"}'),
        ("PATCH", "/v1/data", b'[{"op": "add", "path": "/x", "value": 1}]'),
        ("DELETE", "/v1/data/trustpolicy", None),
        ("GET", "/v1/data/system/authz/api_clients", None),
        ("GET", "/v1/data/trustpolicy/decision", None),
        ("POST", "/v1/data", b'{"input": {}}'),
        ("POST", "/v1/data/system/authz/allow", b'{"input": {}}'),
        ("POST", "/v1/query", b'{"query": "data"}'),
        ("POST", "/v1/compile", b'{"query": "data.trustpolicy.decision"}'),
        ("POST", "/v1/data/trustpolicy/decision?explain=full", b'{"input": {}}'),
        ("GET", "/v1/config", None),
        ("GET", "/v1/status", None),
        ("GET", "/metrics", None),
        ("POST", "/", b"{}"),
        ("POST", "/v1/data/trustpolicy/decision", b"{}"),
        ("POST", "/v1/data/trustpolicy/decision", b'{"input": null}'),
        ("POST", "/v1/data/trustpolicy/decision", b""),
        ("POST", "/v1/data/trustpolicy/batch", b'{"input": {"requests": {}}}'),
    ],
)
def test_valid_token_cannot_touch_anything_but_decisions(agent, method, path, body) -> None:
    before = raw(
        agent, "POST", "/v1/data/trustpolicy/decision", json={"input": EXAMPLES[0]["input"]}
    )
    answer = raw(agent, method, path, data=body)
    assert answer.status_code == 401, answer.text
    assert answer.json() == {
        "code": "unauthorized",
        "message": "request rejected by administrative policy",
    }
    after = raw(
        agent, "POST", "/v1/data/trustpolicy/decision", json={"input": EXAMPLES[0]["input"]}
    )
    assert after.json()["result"] == before.json()["result"]
    assert after.json()["result"]["outcome"] == "deny"


def test_bundle_without_client_digests_lets_nobody_in(tmp_path, policies) -> None:
    bundle = build_bundle(policies, tmp_path / "plain.tar.gz", revision="no-clients").path
    agent = LocalOPA(bundle=bundle, token=TOKEN, startup_timeout=3)
    with pytest.raises(EngineUnavailable, match="401"):
        agent.start()


def test_agent_config_from_the_bundle_server_enforces_tokens(signed, tmp_path) -> None:
    """The production path: agent_config + bundle server + the signed bundle with digests."""
    with BundleServer({"district-c11": BUNDLE_TOKEN}, max_wait=10) as server:
        server.publish(signed["bundle"])
        token_file = tmp_path / "bundle.token"
        token_file.write_text(BUNDLE_TOKEN)
        config = agent_config(
            bundle_server_url=server.url,
            public_key=signed["public"],
            key_id="city",
            token_path=token_file,
            min_delay_seconds=1,
            max_delay_seconds=2,
            long_polling_timeout_seconds=5,
            department="district-c11",
        )
        assert config["default_authorization_decision"] == "/system/authz/allow"
        path = write_agent_config(config, tmp_path / "agent.yaml")
        with LocalOPA(config=path, token=TOKEN) as opa:
            with Client(opa.url, token=TOKEN) as client:
                assert client.decide(EXAMPLES[11]["input"]).outcome.value == "allow"
            # The bundle server's token is not an API token.
            assert (
                raw(opa, "POST", "/v1/data/trustpolicy/decision", BUNDLE_TOKEN, json={}).status_code
                == 401
            )
            assert raw(opa, "PUT", "/v1/policies/x", TOKEN, data=b"package x").status_code == 401
            log = opa.log_text()
    assert TOKEN not in log
    assert BUNDLE_TOKEN not in log


# -- TLS, with a CA made here ---------------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(out: Path, common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = out / f"{common}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def _server_cert(
    out: Path,
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    sans: list[x509.GeneralName],
) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("agent-c11"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = out / "agent.pem", out / "agent-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("tls")
    ca_key, ca, ca_path = _ca(out, "city-agents-ca")
    cert, key = _server_cert(
        out,
        ca_key,
        ca,
        [x509.DNSName("agent-c11.city.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    _, _, stranger = _ca(out, "some-other-ca")
    wrong_dir = out / "wrong-name"
    wrong_dir.mkdir()
    wrong_cert, wrong_key = _server_cert(wrong_dir, ca_key, ca, [x509.DNSName("records.city.test")])
    return {
        "ca": ca_path,
        "cert": cert,
        "key": key,
        "stranger": stranger,
        "wrong_cert": wrong_cert,
        "wrong_key": wrong_key,
    }


def test_tls_agent_is_verified_against_the_city_ca(signed, tls) -> None:
    with LocalOPA(
        bundle=signed["bundle"],
        verification_key=signed["public"],
        verification_key_id="city",
        token=TOKEN,
        tls_cert=tls["cert"],
        tls_key=tls["key"],
    ) as opa:
        assert opa.url.startswith("https://127.0.0.1:")
        with Client(opa.url, token=TOKEN, verify=str(tls["ca"])) as client:
            assert client.decide(EXAMPLES[1]["input"]).outcome.value == "allow"
        # Without the city CA (system roots) or with another CA: no connection, no decision.
        for verify in (True, str(tls["stranger"])):
            with (
                Client(opa.url, token=TOKEN, verify=verify) as client,
                pytest.raises(EngineUnavailable, match=r"(?i)certificate"),
            ):
                client.decide(EXAMPLES[1]["input"])
            with Client(opa.url, token=TOKEN, verify=verify, on_error="deny") as client:
                assert client.decide(EXAMPLES[1]["input"]).rules == {"TP-ENGINE-01"}
        # Plain HTTP to the TLS port is not an answer either.
        with Client(opa.url.replace("https", "http"), token=TOKEN, on_error="deny") as client:
            assert client.decide(EXAMPLES[1]["input"]).rules == {"TP-ENGINE-01"}


def test_tls_certificate_for_another_name_is_refused(signed, tls) -> None:
    with (
        LocalOPA(
            bundle=signed["bundle"],
            verification_key=signed["public"],
            verification_key_id="city",
            token=TOKEN,
            tls_cert=tls["wrong_cert"],
            tls_key=tls["wrong_key"],
        ) as opa,
        Client(opa.url, token=TOKEN, verify=str(tls["ca"]), on_error="deny") as client,
    ):
        decision = client.decide(EXAMPLES[1]["input"])
    assert not decision.allowed
    assert decision.rules == {"TP-ENGINE-01"}
    assert "127.0.0.1" in decision.violations[0].message


# -- secrets never logged --------------------------------------------------------------------


def test_tokens_and_signing_keys_never_reach_a_log(agent, signed, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, urllib3, aiohttp, requests
    with Client(agent.url, token=TOKEN) as client:
        client.decide(EXAMPLES[0]["input"])
    with Client(agent.url, token="wrong-token-0123456789", on_error="deny") as client:
        failure = client.decide(EXAMPLES[0]["input"])
    with Client(agent.url, token="wrong-token-0123456789") as client:
        with pytest.raises(EngineError) as caught:
            client.decide(EXAMPLES[0]["input"])
        shown = repr(client)
    opa_log = agent.log_text()
    assert '"level":"debug"' in opa_log  # the agent logged at its most verbose
    assert "/v1/data/trustpolicy/decision" in opa_log
    key_body = "".join(signed["private_pem"].splitlines()[1:-1])
    for secret in (TOKEN, OTHER_DEPARTMENT, "wrong-token-0123456789", key_body[:40]):
        assert secret not in opa_log
        assert secret not in caplog.text
        assert secret not in str(caught.value)
        assert secret not in failure.explain()
        assert secret not in shown
    assert token_sha256(TOKEN) not in opa_log
