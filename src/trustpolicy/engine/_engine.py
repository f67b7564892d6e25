"""Run the pinned OPA as a local server process, for tests, demos and development.

:class:`LocalOPA` starts ``opa run --server`` on a free loopback port, waits until OPA
reports healthy, keeps OPA's own log in a file (never a pipe, so OPA can never block on
it) and makes sure no OPA outlives the interpreter: stopped on exit, and on Linux killed
by the kernel when the interpreter dies, even by SIGKILL (see ``_process``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import ssl
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trustpolicy.contract._errors import ConfigError, EngineUnavailable
from trustpolicy.contract._tokens import API_CLIENTS_FILE, stage_policies, token_sha256
from trustpolicy.engine._net import LOOPBACK, connect_host, free_port, host_port, join_host
from trustpolicy.engine._process import spawn, terminate
from trustpolicy.engine._tools import find_tool, policies_dir

if TYPE_CHECKING:
    import subprocess
    from types import TracebackType
    from typing import Self

__all__ = ["LocalOPA"]

_LOG_TAIL = 3000
_NO_PROXY = "127.0.0.1,localhost,::1"
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

PathLike = str | os.PathLike[str]


def _names_bundles(config_text: str) -> bool:
    """Whether an OPA config (JSON or YAML text) configures bundles."""
    return '"bundles"' in config_text or "bundles:" in config_text


def _cleanup(state: dict[str, Any]) -> None:
    """Stop the process and remove the temp dir (also runs at interpreter exit)."""
    proc = state.get("proc")
    if proc is not None:
        terminate(proc, 5.0)
    log = state.get("log")
    if log is not None:
        log.close()
    tmp = state.get("tmp")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


class LocalOPA:
    """The pinned ``opa run --server`` on a loopback port, as a context manager.

    With neither ``policies``, ``bundle`` nor ``config`` it serves the project's own
    policies (:func:`trustpolicy.policies_dir`). A single policies directory is loaded as a
    bundle (``-b``) so ``data.system.bundles`` carries its manifest and revision. Decision
    logging is on by default so every response carries a ``decision_id``.

    ``host`` is the listening address (loopback by default); ``diagnostic_addr``
    (``HOST:PORT``) adds OPA's probe listener (``/health``, ``/metrics``), which is then
    also where LocalOPA waits for health. If OPA does not start, the EngineUnavailable
    carries OPA's own reason (:meth:`failure_reason`) on its first line.
    """

    def __init__(
        self,
        *,
        policies: PathLike | Sequence[PathLike] | None = None,
        bundle: PathLike | None = None,
        config: Mapping[str, Any] | PathLike | None = None,
        token: str | None = None,
        verification_key: PathLike | None = None,
        verification_key_id: str | None = None,
        signing_scope: str | None = None,
        tls_cert: PathLike | None = None,
        tls_key: PathLike | None = None,
        port: int | None = None,
        host: str = LOOPBACK,
        diagnostic_addr: str | None = None,
        decision_logs: bool = True,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        opa: PathLike | None = None,
    ) -> None:
        if policies is None and bundle is None and config is None:
            policies = policies_dir()
        if isinstance(policies, (str, os.PathLike)):
            policies = [policies]
        self._policies = [Path(p) for p in policies or ()]
        self._bundle = Path(bundle) if bundle is not None else None
        self._config = config
        self._token = token
        self._verification_key = verification_key
        self._verification_key_id = verification_key_id
        self._signing_scope = signing_scope
        if (tls_cert is None) != (tls_key is None):
            raise ConfigError("tls_cert and tls_key must be given together")
        self._tls_cert = tls_cert
        self._tls_key = tls_key
        self.port: int = port if port is not None else 0
        self.host = host
        self.diagnostic_addr = host_port(diagnostic_addr) if diagnostic_addr else None
        self._decision_logs = decision_logs
        self._extra_args = tuple(extra_args)
        self._startup_timeout = startup_timeout
        self._opa = Path(opa) if opa is not None else find_tool("opa")
        self._state: dict[str, Any] = {}
        self._final_log = ""
        self._finalizer = weakref.finalize(self, _cleanup, self._state)
        self._uses_bundles = (
            self._bundle is not None
            or len(self._policies) == 1
            or _names_bundles(self._config_text())
        )

    # -- public API ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:PORT`` (``https`` with TLS)."""
        scheme = "https" if self._tls_cert is not None else "http"
        return f"{scheme}://{connect_host(self.host)}:{self.port}"

    @property
    def diagnostic_url(self) -> str | None:
        """Base URL of OPA's diagnostic listener (``/health``, ``/metrics``), if any."""
        if self.diagnostic_addr is None:
            return None
        host, port = self.diagnostic_addr
        return f"http://{connect_host(host)}:{port}"

    @property
    def pid(self) -> int | None:
        """The OPA process id while it runs."""
        proc: subprocess.Popen[bytes] | None = self._state.get("proc")
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> Self:
        """Start OPA and wait until it is healthy; raise EngineUnavailable if it is not."""
        if self.pid is not None:
            return self
        tmp = self._tmpdir()
        if self.port == 0:
            self.port = free_port()
        log = self._state.get("log")
        if log is None:
            log = self._state["log"] = (tmp / "opa.log").open("ab")
        cmd = self._command(tmp)
        self._state["proc"] = spawn(cmd, log=log, env=self._env())
        try:
            self.wait_healthy(self._startup_timeout, bundles=self._uses_bundles)
        except EngineUnavailable:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop OPA: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        proc: subprocess.Popen[bytes] | None = self._state.pop("proc", None)
        if proc is not None:
            terminate(proc, timeout)

    def restart(self) -> None:
        """Stop and start again on the same port (for fault and reload tests)."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL the process without any grace: a crashed engine, for fault tests."""
        proc: subprocess.Popen[bytes] | None = self._state.pop("proc", None)
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(5)

    def log_text(self) -> str:
        """OPA's own log (JSON lines) so far."""
        tmp = self._state.get("tmp")
        if tmp is None:
            return self._final_log
        path = Path(tmp) / "opa.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_healthy(self, timeout: float, *, bundles: bool = True) -> None:
        """Poll ``GET /health[?bundles]`` until it answers 200 or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        target = "/health?bundles" if bundles else "/health"
        last = "no answer"
        while True:
            proc: subprocess.Popen[bytes] | None = self._state.get("proc")
            if proc is None or proc.poll() is not None:
                code = None if proc is None else proc.returncode
                raise EngineUnavailable(
                    f"opa exited (code {code}) before it was healthy: {self.failure_reason()}"
                    f"\nlog tail:\n{self._tail()}",
                    url=self.url,
                )
            status, last = self._probe(target)
            if status == 200:  # noqa: PLR2004
                return
            if time.monotonic() >= deadline:
                raise EngineUnavailable(
                    f"opa not healthy after {timeout:.1f}s ({last}): {self.failure_reason()}"
                    f"\nlog tail:\n{self._tail()}",
                    url=self.url,
                )
            time.sleep(0.05)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._final_log = self.log_text()
        self._finalizer()
        self._state.clear()
        self._finalizer = weakref.finalize(self, _cleanup, self._state)

    def __repr__(self) -> str:
        return f"LocalOPA(url={self.url!r}, pid={self.pid})"

    # -- internals -------------------------------------------------------------------------

    def _tmpdir(self) -> Path:
        tmp = self._state.get("tmp")
        if tmp is None:
            tmp = self._state["tmp"] = tempfile.mkdtemp(prefix="trustpolicy-opa-")
        return Path(tmp)

    def _command(self, tmp: Path) -> list[str]:
        cmd = [
            str(self._opa),
            "run",
            "--server",
            f"--addr={join_host(self.host)}:{self.port}",
            "--skip-version-check",
            "--log-format=json",
            "--shutdown-grace-period=2",
            # The input check reads the JSON Schema from the bundle's data on every request;
            # an AST-valued store hands it over without converting it each time (about half
            # the cost of the check, measured).
            "--optimize-store-for-read-speed",
        ]
        if self.diagnostic_addr is not None:
            host, port = self.diagnostic_addr
            cmd.append(f"--diagnostic-addr={join_host(host)}:{port}")
        config_text = self._config_text()
        if isinstance(self._config, Mapping):
            path = tmp / "config.json"
            path.write_text(json.dumps(self._config))
            cmd.append(f"--config-file={path}")
        elif self._config is not None:
            cmd.append(f"--config-file={self._config}")
        if self._decision_logs and "decision_logs" not in config_text:
            cmd.append("--set=decision_logs.console=true")
        cmd += self._security_args()
        cmd += self._extra_args
        if self._uses_bundles:
            cmd.append("--bundle")
            cmd += [str(self._bundle)] if self._bundle is not None else []
        cmd += [str(p) for p in self._served_policies(tmp)]
        return cmd

    def _security_args(self) -> list[str]:
        """Token authentication, TLS and bundle verification flags."""
        args = []
        if self._token is not None:
            args += ["--authentication=token", "--authorization=basic"]
        if self._tls_cert is not None:
            args += [f"--tls-cert-file={self._tls_cert}", f"--tls-private-key-file={self._tls_key}"]
        if self._verification_key is not None:
            args.append(f"--verification-key={self._verification_key}")
        if self._verification_key_id is not None:
            args.append(f"--verification-key-id={self._verification_key_id}")
        if self._signing_scope is not None:
            args.append(f"--scope={self._signing_scope}")
        return args

    def _served_policies(self, tmp: Path) -> list[Path]:
        """The policy directories to load; with a token, the token's digest staged in.

        ``system.authz`` admits only clients whose token digests the bundle carries, so a
        token-protected engine on a source tree that has none gets a copy with this
        token's digest as client "local" (the token itself is never written).
        """
        if self._token is None or len(self._policies) != 1:
            return self._policies
        source = self._policies[0]
        if not source.is_dir() or (source / API_CLIENTS_FILE).exists():
            return self._policies
        staged = tmp / "policies"
        if not staged.exists():
            stage_policies(source, staged, {"local": token_sha256(self._token)})
        return [staged]

    def _config_text(self) -> str:
        if self._config is None:
            return ""
        if isinstance(self._config, Mapping):
            return json.dumps(self._config)
        try:
            return Path(self._config).read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read OPA config {self._config}: {exc}") from exc

    @staticmethod
    def _env() -> dict[str, str]:
        """OPA's environment with proxies dropped: everything it talks to is loopback."""
        env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS}
        env["NO_PROXY"] = env["no_proxy"] = _NO_PROXY
        return env

    def _probe(self, target: str) -> tuple[int, str]:
        conn: http.client.HTTPConnection
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        if self.diagnostic_addr is not None:  # OPA's probe listener: plain HTTP
            # With token authentication OPA asks system.authz about this listener too.
            host, port = self.diagnostic_addr
            conn = http.client.HTTPConnection(connect_host(host), port, timeout=2)
        elif self._tls_cert is not None:
            # Liveness only, on loopback: the certificate is checked by the real clients.
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(
                connect_host(self.host), self.port, timeout=2, context=ctx
            )
        else:
            conn = http.client.HTTPConnection(connect_host(self.host), self.port, timeout=2)
        try:
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            body = resp.read(500).decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            return 0, str(exc)
        finally:
            conn.close()
        return resp.status, f"HTTP {resp.status} {body}"

    def failure_reason(self) -> str:
        """OPA's own words for what went wrong, every error it logged, on one line."""
        reasons: list[str] = []
        for line in self.log_text().splitlines():
            text = line.strip()
            try:
                entry = json.loads(text)
            except ValueError:
                entry = None
            if isinstance(entry, dict):
                if entry.get("level") not in ("error", "fatal"):
                    continue
                parts = [str(entry.get(k)) for k in ("msg", "err", "error") if entry.get(k)]
                text = ": ".join(parts)
            elif not text or not text.lower().startswith(("error", "fatal", "panic")):
                continue
            if text and text not in reasons:
                reasons.append(text)
        return "; ".join(reasons) or "OPA logged no error"

    def _tail(self) -> str:
        """OPA's warnings and errors first (request lines would bury them), then the log's end."""
        lines = self.log_text().splitlines()
        problems = [line for line in lines if '"level":"error"' in line or '"level":"warn"' in line]
        text = "\n".join([*problems[-20:], "...", *lines[-10:]]) if problems else "\n".join(lines)
        return text[-_LOG_TAIL:]
