"""AsyncClient against a real OPA: the same answers as Client, and the same failures."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from test_client import (
    EXAMPLES,
    SMALL_POLICY,
    listener,  # noqa: F401 - fixture
    slow_peer,  # noqa: F401 - fixture
    summary,
    without_id,
)
from trustpolicy import (
    AsyncClient,
    Client,
    ConfigError,
    EngineError,
    EngineUnavailable,
    InvalidRequest,
    LocalOPA,
)

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def opa() -> Iterator[LocalOPA]:
    with LocalOPA() as engine:
        yield engine


async def test_worked_examples_match_the_sync_client(opa: LocalOPA) -> None:
    inputs = [e["input"] for e in EXAMPLES]
    with Client(opa.url) as sync:
        expected = [without_id(sync.decide(i)) for i in inputs]
    async with AsyncClient(opa.url) as client:
        single = [await client.decide(i) for i in inputs]
        batch = await client.decide_many(inputs)
    assert [without_id(d) for d in single] == expected
    assert [without_id(d) for d in batch] == expected
    assert [summary(d) for d in single] == [e["expect"] for e in EXAMPLES]
    assert all(d.decision_id for d in (*single, *batch))


async def test_health_and_revision(opa: LocalOPA) -> None:
    async with AsyncClient(opa.url) as client:
        assert await client.health() is True
        assert isinstance(await client.policy_revision(), str)
        assert await client.decide_many([]) == []


async def test_malformed_request_is_rejected_before_any_network_call(
    listener: tuple[str, socket.socket],  # noqa: F811
) -> None:
    url, sock = listener
    async with AsyncClient(url, on_error="deny") as client:
        with pytest.raises(InvalidRequest, match=r"actor: required"):
            await client.decide({"action": "detain"})
    with pytest.raises(TimeoutError):
        sock.accept()


async def test_wrong_policy_path_is_an_engine_error(opa: LocalOPA) -> None:
    async with AsyncClient(opa.url, decision_path="trustpolicy/revision") as client:
        with pytest.raises(EngineError, match="not a decision document"):
            await client.decide(EXAMPLES[0]["input"])
    async with AsyncClient(opa.url, decision_path="nowhere", on_error="deny") as client:
        decision = await client.decide(EXAMPLES[3]["input"])
    assert decision.allowed is False
    assert [v.rule for v in decision.violations] == ["TP-ENGINE-01"]


async def test_engine_killed_mid_run_fails_closed(opa_bin: Path, tmp_path: Path) -> None:
    (tmp_path / "decision.rego").write_text(SMALL_POLICY)
    with LocalOPA(policies=tmp_path, opa=opa_bin) as engine:
        async with (
            AsyncClient(engine.url, retries=0) as raising,
            AsyncClient(engine.url, retries=0, on_error="deny") as denying,
        ):
            assert (await raising.decide(EXAMPLES[3]["input"])).policy_revision == "small"
            assert (await denying.decide(EXAMPLES[3]["input"])).violations == ()
            engine.kill()
            with pytest.raises(EngineUnavailable):
                await raising.decide(EXAMPLES[3]["input"])
            decisions = await denying.decide_many([e["input"] for e in EXAMPLES[:2]])
            decisions.append(await denying.decide(EXAMPLES[3]["input"]))
            assert [d.allowed for d in decisions] == [False] * 3
            assert {v.rule for d in decisions for v in d.violations} == {"TP-ENGINE-01"}
            assert await raising.health() is False
            engine.start()
            assert (await raising.decide(EXAMPLES[3]["input"])).policy_revision == "small"


async def test_slow_engine_past_the_timeout_fails_closed(slow_peer: str) -> None:  # noqa: F811
    started = time.monotonic()
    async with AsyncClient(slow_peer, timeout=0.3) as client:
        with pytest.raises(EngineUnavailable, match=r"no answer within 0\.3s"):
            await client.decide(EXAMPLES[3]["input"])
    async with AsyncClient(slow_peer, timeout=0.3, on_error="deny") as client:
        decision = await client.decide(EXAMPLES[3]["input"])
    assert time.monotonic() - started < 1.9
    assert decision.allowed is False
    assert [v.rule for v in decision.violations] == ["TP-ENGINE-01"]


def test_a_missing_ca_bundle_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="CA bundle"):
        AsyncClient("https://127.0.0.1:9", verify=str(tmp_path / "no-such-ca.pem"))
