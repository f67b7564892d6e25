"""Faults on the decision path, with real OPA processes: every one fails closed.

Each test asserts what a dispatch system sees (a correct decision, EngineUnavailable or
EngineError, or a TP-ENGINE-01 deny) and that no decision was ever allowed by mistake.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from trustpolicy import (
    Client,
    Collector,
    Decision,
    EngineError,
    EngineUnavailable,
    LocalOPA,
    TrustPolicyError,
    agent_config,
    build_bundle,
    find_tool,
    generate_signing_key,
    read_bundle,
    sign_bundle,
    write_agent_config,
)
from trustpolicy.bundles._bundle import write_archive
from trustpolicy.bundles._bundle_server import DEFAULT_BUNDLE, BundleServer, PublishedBundle
from trustpolicy.bundles._signing import SigningKey

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXAMPLES = json.loads(
    (Path(__file__).parent / "data" / "worked-examples.json").read_text(encoding="utf-8")
)
INPUTS = [e["input"] for e in EXAMPLES]
EXPECTED = [e["expect"] for e in EXAMPLES]
BUNDLE_TOKEN = "fault-test-bundle-token-4b7e"


def rules_of(decision: Decision) -> dict[str, list[str]]:
    return {
        "violations": sorted(f.rule for f in decision.violations),
        "exceptions": sorted(f.rule for f in decision.exceptions),
        "escalations": sorted(f.rule for f in decision.escalations),
        "obligations": sorted(f.rule for f in decision.obligations),
    }


def assert_correct(decision: Decision, index: int) -> None:
    """The decision is exactly the worked example's expected one."""
    expect = EXPECTED[index]
    assert decision.outcome.value == expect["outcome"], EXAMPLES[index]["name"]
    assert rules_of(decision) == {k: expect[k] for k in rules_of(decision)}
    assert decision.allowed == (expect["outcome"] == "allow")


def assert_engine_failure(decision: Decision) -> None:
    assert not decision.allowed
    assert decision.outcome.value == "deny"
    assert decision.rules == {"TP-ENGINE-01"}


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def wait_for_log(opa: LocalOPA, symptom: str, *, since: int, timeout: float = 10) -> None:
    """Wait until OPA's log (after offset ``since``) mentions ``symptom``; show it if not."""
    deadline = time.monotonic() + timeout
    while symptom not in opa.log_text()[since:]:
        if time.monotonic() > deadline:
            pytest.fail(f"OPA never logged {symptom!r}; log: {opa.log_text()[since:][-1500:]}")
        time.sleep(0.05)


def fetched_more(server: BundleServer, served: int) -> bool:
    return server.requests.get("district-c11", 0) > served


def decide_all_correctly(client: Client) -> None:
    for index, decision in enumerate(client.decide_many(INPUTS)):
        assert_correct(decision, index)


# -- the engine dies in the middle of a load ---------------------------------------------------


@pytest.mark.slow
def test_engine_killed_mid_load_fails_closed_and_recovers_without_client_restart() -> None:
    records: list[tuple[float, float, int, object]] = []  # started, ended, example, result
    stop = threading.Event()
    lock = threading.Lock()

    def worker(client: Client, offset: int) -> None:
        i = offset
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            index = i % len(INPUTS)
            started = time.monotonic()
            try:
                result: object = client.decide(INPUTS[index])
            except TrustPolicyError as exc:
                result = exc
            with lock:
                records.append((started, time.monotonic(), index, result))
            i += 1
            time.sleep(0.002)

    with LocalOPA() as opa:
        clients = [
            Client(opa.url, timeout=1.0, on_error="deny"),
            Client(opa.url, timeout=1.0, on_error="raise"),
        ]
        threads = [threading.Thread(target=worker, args=(c, n * 5)) for n, c in enumerate(clients)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        opa.kill()
        killed = time.monotonic()
        time.sleep(1.5)
        restarting = time.monotonic()
        opa.start()  # same port; the clients are not touched
        restarted = time.monotonic()
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(10)
        for c in clients:
            c.close()

    before = [r for r in records if r[1] < killed]
    outage = [r for r in records if r[0] > killed and r[1] < restarting]
    after = [r for r in records if r[0] > restarted]
    assert len(before) > 50, len(before)
    assert len(outage) > 20, len(outage)
    assert len(after) > 50, len(after)
    for _, _, index, result in records:
        if isinstance(result, Decision) and result.rules != {"TP-ENGINE-01"}:
            assert_correct(result, index)  # every engine answer is the right one
        elif isinstance(result, Decision):
            assert_engine_failure(result)
        else:
            assert isinstance(result, EngineUnavailable | EngineError), result
    for _, _, _, result in outage:  # while the engine is down nothing is decided
        assert isinstance(result, EngineUnavailable) or result.rules == {"TP-ENGINE-01"}
    for _, _, index, result in after:  # and afterwards everything is again
        assert isinstance(result, Decision)
        assert_correct(result, index)
    allowed = sum(1 for r in records if isinstance(r[3], Decision) and r[3].allowed)
    print(
        f"\nkill mid-load: {len(records)} decisions, {len(outage)} during the outage "
        f"(all failed closed), {allowed} allows (all expected)"
    )


# -- an engine slower than the client's timeout ------------------------------------------------


def test_engine_slower_than_the_timeout_fails_closed_then_answers_again() -> None:
    with LocalOPA() as opa:
        raising = Client(opa.url, timeout=1.0)
        denying = Client(opa.url, timeout=1.0, on_error="deny")
        decide_all_correctly(raising)
        assert opa.pid is not None
        os.kill(opa.pid, signal.SIGSTOP)  # the engine hangs: connections open, no answers
        try:
            started = time.monotonic()
            with pytest.raises(EngineUnavailable, match=r"no answer within 1\.0s"):
                raising.decide(INPUTS[1])
            took = time.monotonic() - started
            assert_engine_failure(denying.decide(INPUTS[1]))  # worked example 2: an allow
            assert all(d.rules == {"TP-ENGINE-01"} for d in denying.decide_many(INPUTS))
        finally:
            os.kill(opa.pid, signal.SIGCONT)
        wait_for(lambda: raising.health(bundles=False), 10, "the engine answers again")
        decide_all_correctly(raising)
        decide_all_correctly(denying)
        raising.close()
        denying.close()
    assert 1.0 <= took < 5.0  # the timeout, not a hang (slack for a busy machine)


# -- bundle distribution faults ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, policies: Path) -> dict[str, Path]:
    """Good revisions, and every bad bundle an attacker or an accident could publish."""
    out = tmp_path_factory.mktemp("fault-bundles")
    city = SigningKey.from_file(
        generate_signing_key(out / "keys", name="city").private, key_id="city"
    )
    # Same key id, different key: what a stolen name without the city's key can sign.
    rogue = SigningKey.from_file(
        generate_signing_key(out / "rogue", name="rogue").private, key_id="city"
    )
    paths: dict[str, Path] = {"public": out / "keys" / "city.pub.pem"}
    for revision in ("rev-1", "rev-2"):
        built = build_bundle(policies, out / f"{revision}.tar.gz", revision=revision).path
        paths[revision] = sign_bundle(built, city)
    good = dict(read_bundle(paths["rev-2"]).files)

    # Signed by the rogue key: a valid signature, but not the city's.
    rogue_built = build_bundle(policies, out / "rogue.tar.gz", revision="rev-rogue").path
    paths["wrong-key"] = sign_bundle(rogue_built, rogue)
    # The city's signature kept, the decision rewritten to allow everything.
    tampered = dict(good)
    text = tampered["trustpolicy/decision.rego"].decode()
    assert '"allowed": outcome == "allow"' in text
    tampered["trustpolicy/decision.rego"] = text.replace(
        '"allowed": outcome == "allow"', '"allowed": true'
    ).encode()
    paths["tampered"] = write_archive(tampered, out / "tampered.tar.gz")
    # No signature at all.
    unsigned = {k: v for k, v in good.items() if k != ".signatures.json"}
    unsigned[".manifest"] = good[".manifest"].replace(b'"rev-2"', b'"rev-unsigned"')
    paths["unsigned"] = write_archive(unsigned, out / "unsigned.tar.gz")
    # Correctly signed by the city, but the Rego does not compile.
    broken_src = out / "broken-src"
    broken_src.mkdir()
    for name, data in read_bundle(
        build_bundle(policies, out / "tmp.tar.gz", revision="x").path
    ).files.items():
        if name.endswith(".rego"):
            (broken_src / name).parent.mkdir(parents=True, exist_ok=True)
            (broken_src / name).write_bytes(data)
    (broken_src / "trustpolicy" / "decision.rego").write_text(
        'package trustpolicy\n\ndecision := {"allowed": true\n'
    )
    paths["uncompilable"] = sign_bundle(
        _raw_bundle(broken_src, out / "uncompilable.tar.gz", "rev-broken"), city
    )
    return paths


def _raw_bundle(src: Path, out: Path, revision: str) -> Path:
    """A bundle of ``src`` as is (build_bundle would refuse Rego that does not parse)."""
    files = {p.relative_to(src).as_posix(): p.read_bytes() for p in src.rglob("*") if p.is_file()}
    files[".manifest"] = json.dumps(
        {"revision": revision, "roots": ["trustpolicy", "system/authz", "system/log"]}
    ).encode()
    return write_archive(files, out)


@pytest.fixture
def server(bundles: dict[str, Path]) -> Iterator[BundleServer]:
    srv = BundleServer({"district-c11": BUNDLE_TOKEN}, max_wait=10).start()
    srv.publish(bundles["rev-1"])
    yield srv
    srv.stop()


def _config(tmp_path: Path, server_url: str, public: Path, **extra: Any) -> Path:
    token = tmp_path / "bundle.token"
    token.write_text(BUNDLE_TOKEN)
    config = agent_config(
        bundle_server_url=server_url,
        public_key=public,
        key_id="city",
        token_path=token,
        min_delay_seconds=1,
        max_delay_seconds=1,
        long_polling_timeout_seconds=5,
        persistence_directory=tmp_path / "persist",
        department="district-c11",
        **extra,
    )
    return write_agent_config(config, tmp_path / "agent.yaml")


def _publish_raw(server: BundleServer, data: bytes, revision: str) -> None:
    """Serve bytes the server's own publish() would refuse (it reads every bundle first)."""
    bundle = PublishedBundle(
        name=DEFAULT_BUNDLE, data=data, etag=f'"{revision}"', revision=revision
    )
    with server._lock:
        server._bundles[DEFAULT_BUNDLE] = bundle
    loop = server._loop
    assert loop is not None
    loop.call_soon_threadsafe(server._notify)


def test_bad_bundles_are_refused_and_decisions_stay_on_the_last_good_revision(
    tmp_path, server, bundles
) -> None:
    with LocalOPA(config=_config(tmp_path, server.url, bundles["public"])) as opa:
        client = Client(opa.url)
        assert client.policy_revision() == "rev-1"
        truncated = bundles["rev-2"].read_bytes()
        cases: list[tuple[str, Callable[[], None], str]] = [
            (
                "wrong key",
                lambda: server.publish(bundles["wrong-key"]),
                "failed to verify JWT signature",
            ),
            (
                "tampered",
                lambda: server.publish(bundles["tampered"]),
                "decision.rego: digest mismatch",
            ),
            ("unsigned", lambda: server.publish(bundles["unsigned"]), "missing .signatures.json"),
            ("uncompilable", lambda: server.publish(bundles["uncompilable"]), "rego_parse_error"),
            (
                "truncated",
                lambda: _publish_raw(server, truncated[: len(truncated) // 2], "rev-truncated"),
                "unexpected EOF",
            ),
        ]
        for name, publish, symptom in cases:
            served = server.requests.get("district-c11", 0)
            log_size = len(opa.log_text())
            publish()
            wait_for(partial(fetched_more, server, served), 10, f"{name} fetched")
            wait_for_log(opa, symptom, since=log_size)
            assert client.policy_revision() == "rev-1", name
            decide_all_correctly(client)
        # The agent is still polling: a good revision is taken at once.
        server.publish(bundles["rev-2"])
        wait_for(lambda: client.policy_revision() == "rev-2", 10, "rev-2 activated")
        decide_all_correctly(client)
        client.close()


def test_bundle_server_down_keeps_the_last_good_revision_deciding(
    tmp_path, server, bundles
) -> None:
    with LocalOPA(config=_config(tmp_path, server.url, bundles["public"])) as opa:
        client = Client(opa.url)
        decide_all_correctly(client)
        server.stop()
        log_size = len(opa.log_text())
        wait_for(
            lambda: "connection refused" in opa.log_text()[log_size:].lower(), 10, "poll fails"
        )
        for _ in range(3):
            decide_all_correctly(client)
            assert client.policy_revision() == "rev-1"
        client.close()


def test_agent_that_never_got_a_bundle_never_decides(tmp_path, bundles) -> None:
    """Bundle server down from the start: no policy, so every decision fails closed."""
    with BundleServer({"district-c11": BUNDLE_TOKEN}) as dead:
        url = dead.url  # stopped on leaving: nothing listens there any more
    config = _config(tmp_path, url, bundles["public"])
    opa_port = _free_port()
    log = (tmp_path / "opa.log").open("wb")
    proc = subprocess.Popen(
        [
            str(find_tool("opa")),
            "run",
            "--server",
            f"--addr=127.0.0.1:{opa_port}",
            f"--config-file={config}",
            "--skip-version-check",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )
    try:
        client = Client(f"http://127.0.0.1:{opa_port}", timeout=1)
        denying = Client(f"http://127.0.0.1:{opa_port}", timeout=1, on_error="deny")
        wait_for(lambda: client.health(bundles=False), 10, "opa listening")
        assert not client.health(bundles=True)
        with pytest.raises(EngineError, match="undefined"):
            client.decide(INPUTS[1])
        assert all(d.rules == {"TP-ENGINE-01"} for d in denying.decide_many(INPUTS))
        client.close()
        denying.close()
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the decision-log collector is down --------------------------------------------------------


def test_collector_down_does_not_stop_decisions(tmp_path, server, bundles) -> None:
    collector = Collector(tmp_path / "decisions.db", {"district-c11": "collector-token-77aa"})
    collector.start()
    collector_url = collector.url
    collector.stop()  # down before the agent ever reaches it
    (tmp_path / "collector.token").write_text("collector-token-77aa")
    config = _config(
        tmp_path,
        server.url,
        bundles["public"],
        collector_url=collector_url,
        collector_token_path=tmp_path / "collector.token",
        decision_log_delay_seconds=(1, 1),
    )
    with LocalOPA(config=config) as opa:
        client = Client(opa.url, timeout=1)
        latencies = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # long enough for several failed uploads
            started = time.monotonic()
            decide_all_correctly(client)
            latencies.append(time.monotonic() - started)
        wait_for(lambda: "connection refused" in opa.log_text().lower(), 5, "upload fails")
        client.close()
    assert max(latencies) < 1.0
