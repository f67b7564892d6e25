"""The bundle server: OPA's protocol (ETag, 304, long polling) behind per-agent tokens."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import pytest
import requests
from aiohttp.test_utils import TestClient, TestServer

from trustpolicy import BundleError, ConfigError
from trustpolicy.bundles._bundle import build_bundle
from trustpolicy.bundles._bundle_server import BUNDLE_CONTENT_TYPE, BundleServer, load_tokens

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TOKENS = {"district-c11": "token-c11-5f2a-0123", "records": "token-records-9b1e"}
URL = "/bundles/trustpolicy.tar.gz"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("policies")
    (root / "trustpolicy").mkdir()
    rego = root / "trustpolicy" / "decision.rego"
    out = tmp_path_factory.mktemp("bundles")
    rego.write_text("package trustpolicy\n\ndecision := 1\n")
    first = build_bundle(root, out / "r1.tar.gz", revision="r1").path
    rego.write_text("package trustpolicy\n\ndecision := 2\n")
    second = build_bundle(root, out / "r2.tar.gz", revision="r2").path
    return first, second


@pytest.fixture
def server(bundles: tuple[Path, Path]) -> Iterator[BundleServer]:
    srv = BundleServer(TOKENS, max_wait=5).start()
    srv.publish(bundles[0])
    yield srv
    srv.stop()


def get(server: BundleServer, token: str | None = "token-c11-5f2a-0123", **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(server.url + URL, headers=headers, timeout=15)


def test_bundle_is_served_with_etag_and_opa_content_type(server, bundles) -> None:
    answer = get(server)
    assert answer.status_code == 200
    assert answer.content == bundles[0].read_bytes()
    assert answer.headers["Content-Type"] == BUNDLE_CONTENT_TYPE
    assert answer.headers["ETag"] == server.current().etag
    assert server.requests == {"district-c11": 1}


@pytest.mark.parametrize("token", [None, "", "token-c11-5f2b-0123", "Token-C11-5f2a-0123"])
def test_request_without_a_valid_token_is_refused(server, token, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="trustpolicy.bundle_server")
    answer = get(server, token)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token-c11" not in caplog.text


def test_tokens_never_reach_the_log(server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    assert get(server, "token-records-9b1e").status_code == 200
    assert "records" in caplog.text
    assert "token-records" not in caplog.text


def test_unchanged_bundle_answers_304_with_content_type(server) -> None:
    etag = get(server).headers["ETag"]
    answer = get(server, **{"If-None-Match": etag})
    assert answer.status_code == 304
    assert answer.headers["ETag"] == etag
    assert answer.headers["Content-Type"] == BUNDLE_CONTENT_TYPE


def test_long_poll_returns_as_soon_as_a_revision_is_published(server, bundles) -> None:
    etag = get(server).headers["ETag"]
    timer = threading.Timer(0.5, server.publish, args=(bundles[1],))
    timer.start()
    started = time.monotonic()
    answer = get(server, **{"If-None-Match": etag, "Prefer": "modes=snapshot,delta;wait=10"})
    waited = time.monotonic() - started
    timer.join()
    assert answer.status_code == 200
    assert answer.content == bundles[1].read_bytes()
    assert 0.4 < waited < 5


def test_long_poll_times_out_with_304(server) -> None:
    etag = get(server).headers["ETag"]
    started = time.monotonic()
    answer = get(server, **{"If-None-Match": etag, "Prefer": "modes=snapshot,delta;wait=1"})
    assert answer.status_code == 304
    assert 0.9 < time.monotonic() - started < 4


def test_unknown_bundle_is_404(server) -> None:
    answer = requests.get(
        server.url + "/bundles/nope.tar.gz", headers={"Authorization": "Bearer token-c11-5f2a-0123"}
    )
    assert answer.status_code == 404


def test_publishing_a_non_bundle_fails_and_keeps_the_old_one(server, tmp_path) -> None:
    before = server.current()
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"junk")
    with pytest.raises(BundleError, match=r"junk\.tar\.gz"):
        server.publish(junk)
    assert server.current() == before


def test_stop_releases_pending_long_polls(bundles) -> None:
    srv = BundleServer(TOKENS, max_wait=30).start()
    srv.publish(bundles[0])
    etag = get(srv).headers["ETag"]
    results: list[int] = []
    poll = threading.Thread(
        target=lambda: results.append(
            get(srv, **{"If-None-Match": etag, "Prefer": "wait=30"}).status_code
        )
    )
    poll.start()
    time.sleep(0.3)
    started = time.monotonic()
    srv.stop()
    poll.join(10)
    assert time.monotonic() - started < 5
    assert results == [304]


def test_tokens_from_file_and_environment(tmp_path, monkeypatch) -> None:
    path = tmp_path / "tokens"
    path.write_text("# agent token\ndistrict-c11 abc\n\nrecords def\n")
    assert load_tokens(path) == {"district-c11": "abc", "records": "def"}
    monkeypatch.setenv("TRUSTPOLICY_BUNDLE_TOKENS", "a=1, b=2")
    assert load_tokens() == {"a": "1", "b": "2"}
    path.write_text("lonely\n")
    with pytest.raises(ConfigError, match="entry 1"):
        load_tokens(path)
    with pytest.raises(ConfigError, match="token"):
        BundleServer({})


async def test_server_runs_as_an_aiohttp_app(bundles) -> None:
    srv = BundleServer(TOKENS)
    srv.publish(bundles[0])
    async with TestClient(TestServer(srv.create_app())) as client:
        answer = await client.get(URL, headers={"Authorization": "Bearer token-records-9b1e"})
        assert answer.status == 200
        assert await answer.read() == bundles[0].read_bytes()
        etag = answer.headers["ETag"]
        srv.publish(bundles[1])  # from the loop's own thread: still wakes nobody wrongly
        again = await client.get(
            URL, headers={"Authorization": "Bearer token-records-9b1e", "If-None-Match": etag}
        )
        assert again.status == 200
