"""The moving parts of bench/pg_scale.py: a balancer in front of collector processes.

``Balancer`` sends each upload to the collectors in turn, fails over to the other when one
does not answer, and re-sends a share of the uploads to the other collector too (a retry
after a lost answer). ``CollectorProcess`` is one ``trustpolicy collect`` on a fixed port.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import aiohttp
import requests
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent


class Balancer:
    """Round-robin HTTP balancer for ``/logs`` and ``/status`` with failover and re-sends."""

    def __init__(self, targets: list[str], resend: float, seed: int = 18) -> None:
        self.targets = targets
        self.resend = resend
        self.random = random.Random(seed)
        self.latencies: list[float] = []  # seconds, per upload answered 2xx
        self.added = 0
        self.duplicates = 0
        self.uploads = 0
        self.failovers = 0
        self.resent = 0
        self.refused = 0  # uploads no collector took (OPA keeps and retries them)
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def _send(self, target: str, request: web.Request, body: bytes) -> tuple[int, bytes]:
        assert self._session is not None
        # aiohttp has already decoded a gzip body: forward it plain, without Content-Encoding.
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in {"authorization", "content-type"}
        }
        async with self._session.post(target + request.path, data=body, headers=headers) as r:
            return r.status, await r.read()

    def _count(self, status: int, payload: bytes, path: str) -> None:
        if status == 200 and path.startswith("/logs"):
            answer = json.loads(payload)
            self.added += answer["added"]
            self.duplicates += answer["duplicates"]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        start = time.perf_counter()
        first = self._next % len(self.targets)
        self._next += 1
        order = self.targets[first:] + self.targets[:first]
        is_log = request.path.startswith("/logs")
        for i, target in enumerate(order):
            try:
                status, payload = await self._send(target, request, body)
            except (aiohttp.ClientError, OSError):
                status, payload = 0, b""
            if 200 <= status < 300:
                self._count(status, payload, request.path)
                if is_log:
                    self.uploads += 1
                    self.failovers += i > 0
                    self.latencies.append(time.perf_counter() - start)
                    if self.random.random() < self.resend:
                        other = order[(i + 1) % len(order)]
                        try:
                            again, again_payload = await self._send(other, request, body)
                            self._count(again, again_payload, request.path)
                            self.resent += again == 200
                        except (aiohttp.ClientError, OSError):
                            pass
                return web.Response(status=status, body=payload, content_type="application/json")
        if is_log:
            self.refused += 1
        return web.Response(status=503, text="no collector answered")

    def start(self) -> str:
        ready: Future[int] = Future()

        async def serve() -> int:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_post("/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", 0).start()
            return int(self._runner.addresses[0][1])

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            ready.set_result(self._loop.run_until_complete(serve()))
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{ready.result(30)}"
        return self.url

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            if self._session is not None:
                await self._session.close()

        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            self._loop.close()
            self._thread = None


class CollectorProcess:
    """``trustpolicy collect`` in its own process, on a fixed port, logging to a file."""

    def __init__(
        self, name: str, url: str, files: tuple[Path, Path], port: int, work: Path
    ) -> None:
        pwfile, tokens = files
        self.name, self.port = name, port
        self.args = [sys.executable, "-m", "trustpolicy", "collect", "--db", url]
        self.args += ["--db-password-file", str(pwfile), "--tokens", str(tokens)]
        self.args += ["--key-file", str(work / "register.key"), "--port", str(port)]
        self.log = work / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTPOLICY_", "PG"))}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=log, env=env, cwd=ROOT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"collector {self.name} did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
