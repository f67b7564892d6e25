"""Unbounded bodies and bundle bombs (issue 15, findings 6 and 7), against a real agent.

The agent runs ``opa run`` with the configuration ``agent_config`` writes. A gzip body
inflating far past the cap, sent without any token, is refused before it is inflated; a
bundle whose file inflates past ``size_limit_bytes`` is refused as it is unpacked, the
last good revision stays, and the agent's peak memory stays small in both cases.
``bundle verify`` and the bundle server apply the same per-file cap.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from city import Department, agent, build_city, decide, example
from trustpolicy import BundleError
from trustpolicy.bundles._agent_config import agent_config
from trustpolicy.bundles._bundle import BUNDLE_FILE_LIMIT, BUNDLE_TOTAL_LIMIT, read_bundle
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.bundles._signing import VerificationKey, verify_bundle

if TYPE_CHECKING:
    from collections.abc import Iterator

    from city import City
    from trustpolicy.engine._engine import LocalOPA

MIB = 1024 * 1024
C11 = Department("district-c11")
#: How much the agent may grow while refusing a bomb (its own baseline is ~50 MB).
GROWTH = 48 * MIB


def zeros_gzip(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built cheaply from 1 MiB members."""
    member = gzip.compress(b"\0" * MIB, compresslevel=9, mtime=0)
    return member * (size // MIB)


def tar_bomb(name: str, size: int) -> bytes:
    """A ``.tar.gz`` whose one file ``name`` inflates to ``size`` zero bytes."""
    info = tarfile.TarInfo(name)
    info.size = size
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    end = b"\0" * (2 * tarfile.BLOCKSIZE)
    return gzip.compress(header, mtime=0) + zeros_gzip(size) + gzip.compress(end, mtime=0)


def peak_rss(pid: int | None) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    assert pid is not None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, policies: Path) -> City:
    return build_city(tmp_path_factory.mktemp("bombs"), policies)


@pytest.fixture
def running(city: City, tmp_path: Path) -> Iterator[tuple[LocalOPA, BundleServer]]:
    with BundleServer({C11.name: C11.bundle_token}).start() as server:
        server.publish(city.bundle)
        with agent(city, C11, server, None, tmp_path / "c11") as opa:
            yield opa, server


def test_agent_config_caps_bodies_and_bundle_files(city) -> None:
    config = agent_config(bundle_server_url="http://127.0.0.1:9", public_key=city.public)
    assert config["server"]["decoding"] == {"max_length": MIB, "gzip": {"max_length": 4 * MIB}}
    assert config["bundles"]["trustpolicy"]["size_limit_bytes"] == 16 * MIB == BUNDLE_FILE_LIMIT


def test_unauthenticated_gzip_bomb_is_refused_before_it_is_inflated(running) -> None:
    opa, _ = running
    before = peak_rss(opa.pid)
    bomb = zeros_gzip(256 * MIB)  # 256 KiB on the wire
    started = time.monotonic()
    answer = requests.post(
        f"{opa.url}/v1/data/trustpolicy/decision",
        data=bomb,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        timeout=30,
    )
    took = time.monotonic() - started
    assert answer.status_code in {400, 413}, answer.text
    assert "too large" in answer.text.lower() or "exceeds" in answer.text.lower()
    assert took < 5
    assert peak_rss(opa.pid) - before < GROWTH
    assert decide(opa, example("detain", "deny"))["result"]["outcome"] == "deny"


def test_body_over_the_plain_cap_is_refused(running) -> None:
    opa, _ = running
    body = b'{"input": {"pad": "' + b"x" * (2 * MIB) + b'"}}'
    answer = requests.post(f"{opa.url}/v1/data/trustpolicy/decision", data=body, timeout=30)
    assert answer.status_code in {400, 413}, answer.text


class _Transport(BaseHTTPRequestHandler):
    """Whatever sits between the bundle server and the agent: it serves ``payload``."""

    payload: list[bytes]

    def do_GET(self) -> None:
        data = self.payload[-1]
        etag = f'"{hashlib.sha256(data).hexdigest()}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


def test_bundle_bomb_is_refused_as_it_is_unpacked_and_the_last_good_revision_stays(
    city, tmp_path
) -> None:
    payload = [city.bundle.read_bytes()]
    handler = type("Transport", (_Transport,), {"payload": payload})
    transport = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=transport.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{transport.server_address[1]}"
    try:
        with agent(city, C11, _At(url), None, tmp_path / "c11") as opa:
            assert decide(opa, example("detain", "deny"))["result"]["policy"] == {
                "revision": "rev-1"
            }
            before = peak_rss(opa.pid)
            payload.append(tar_bomb("trustpolicy/bomb/data.json", 512 * MIB))  # 512 KiB
            deadline = time.monotonic() + 15
            while "exceeds configured size_limit_bytes" not in opa.log_text():
                assert time.monotonic() < deadline, opa.log_text()[-2000:]
                time.sleep(0.1)
            assert peak_rss(opa.pid) - before < GROWTH
            result = decide(opa, example("detain", "deny"))["result"]
    finally:
        transport.shutdown()
        transport.server_close()
    assert result["policy"] == {"revision": "rev-1"}


class _At:
    """Stands where a bundle server does in :func:`city.agent`: only its URL is read."""

    def __init__(self, url: str) -> None:
        self.url = url


@pytest.mark.parametrize(
    ("size", "files", "message"),
    [
        (BUNDLE_FILE_LIMIT + 1, 1, "limit per bundle file"),
        (BUNDLE_FILE_LIMIT, BUNDLE_TOTAL_LIMIT // BUNDLE_FILE_LIMIT + 1, "unpacked"),
    ],
)
def test_verify_and_publish_refuse_a_bundle_over_the_cap(
    city, tmp_path, size, files, message
) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for n in range(files):
            info = tarfile.TarInfo(f"trustpolicy/f{n}/data.json")
            info.size = size
            tar.addfile(info, io.BytesIO(bytes(size)))
    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(zlib.compress(raw.getvalue(), 1, wbits=31))
    key = VerificationKey.from_file(city.public, key_id="city")
    started = time.monotonic()
    with pytest.raises(BundleError, match=message):
        verify_bundle(bomb, key)
    with pytest.raises(BundleError, match=message):
        read_bundle(bomb)
    with (
        BundleServer({C11.name: C11.bundle_token}) as server,
        pytest.raises(BundleError, match=message),
    ):
        server.publish(bomb)
    assert time.monotonic() - started < 20
