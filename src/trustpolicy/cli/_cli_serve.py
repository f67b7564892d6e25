"""``trustpolicy serve``: an OPA agent on a built bundle.

It runs until SIGTERM or SIGINT and then stops in order with exit code 0 (see
:mod:`trustpolicy.cli._lifecycle`); its OPA child dies with it even when it is killed
outright.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import click

from trustpolicy.bundles._bundle import read_bundle
from trustpolicy.cli._cli_common import EXIT_FAILED, block, epilog
from trustpolicy.cli._lifecycle import run_until_stopped, stop_signals
from trustpolicy.contract._errors import ConfigError
from trustpolicy.contract._tokens import API_CLIENTS_FILE, read_token, token_sha256
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.engine._net import host_port
from trustpolicy.engine._tools import OPA_VERSION

__all__ = ["serve"]


def _loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _addr(value: str, option: str) -> tuple[str, int]:
    try:
        return host_port(value)
    except ConfigError as exc:
        raise click.UsageError(f"{option}: {exc}") from exc


def _bundle_client(bundle_path: Path, token: str) -> str:
    """The bundle's client name for ``token``; UsageError when the bundle does not admit it."""
    raw = read_bundle(bundle_path).files.get(API_CLIENTS_FILE)
    clients = json.loads(raw).get("api_clients", {}) if raw else {}
    digest = token_sha256(token)
    for name, expected in clients.items():
        if expected == digest:
            return str(name)
    raise click.UsageError(
        f"{bundle_path} admits no client with this token (its clients: "
        f"{', '.join(sorted(clients)) or 'none'}); add the token's digest with 'trustpolicy "
        "token new' and rebuild with 'trustpolicy bundle build --clients api-clients.json'"
    )


@click.command(
    epilog=epilog(
        block(
            "Probes (OPA's diagnostic listener: /health and /metrics only)",
            "liveness:  GET http://127.0.0.1:8282/health",
            "readiness: GET http://127.0.0.1:8282/health?bundles  (200 once the bundle is active)",
            "with --token-file, OPA checks the probe's token too: send a client's token",
        ),
        block(
            "Example",
            "trustpolicy serve --verification-key city.pub.pem --key-id city \\",
            "  --token-file /etc/trustpolicy/c11.token --diagnostic-addr 127.0.0.1:8282",
        ),
    )
)
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("bundles/build/trustpolicy.tar.gz"),
    show_default=True,
)
@click.option(
    "--verification-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key: the agent refuses the bundle unless it verifies.",
)
@click.option("--key-id", default="trustpolicy", show_default=True)
@click.option(
    "--addr",
    default="127.0.0.1:8181",
    show_default=True,
    help="HOST:PORT the decision API listens on (loopback unless you say otherwise).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Shorthand: the port of --addr."
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Require bearer tokens: this token's digest must be one of the bundle's clients.",
)
@click.option(
    "--diagnostic-addr",
    default=None,
    help="HOST:PORT for OPA's probe listener (/health, /health?bundles, /metrics; no token).",
)
def serve(
    *,
    bundle_path: Path,
    verification_key: Path | None,
    key_id: str,
    addr: str,
    port: int | None,
    token_file: Path | None,
    diagnostic_addr: str | None,
) -> int:
    """Run an OPA agent on a built bundle until SIGTERM or Ctrl-C (then exit 0).

    With --token-file the agent runs with token authentication: only clients whose token
    digests the bundle carries (system.authz) may ask, and this token is checked to be one
    of them before OPA starts.
    """
    host, addr_port = _addr(addr, "--addr")
    diagnostic = _addr(diagnostic_addr, "--diagnostic-addr") if diagnostic_addr else None
    if token_file is None and not _loopback(host):
        raise click.UsageError(
            f"--addr {host}: serving without --token-file is for loopback development only;"
            " give --token-file to listen on another address"
        )
    if not bundle_path.is_file():
        raise click.UsageError(f"{bundle_path}: no such bundle (run 'trustpolicy bundle build')")
    if verification_key is not None and not verification_key.is_file():
        raise click.UsageError(f"{verification_key}: no such key file")
    token = read_token(token_file, env=None) if token_file is not None else None
    client = _bundle_client(bundle_path, token) if token is not None else None
    opa = LocalOPA(
        bundle=bundle_path,
        host=host,
        port=port or addr_port,
        token=token,
        diagnostic_addr=f"{diagnostic[0]}:{diagnostic[1]}" if diagnostic else None,
        verification_key=verification_key,
        verification_key_id=key_id if verification_key else None,
    )
    if token is None:
        click.echo(
            "serve: no authentication: anyone who can reach the port may ask; this is for"
            " loopback development only (give --token-file in production)",
            err=True,
        )
    with stop_signals() as stop, opa:
        auth = f"; token authentication on (checked: client {client})" if client else ""
        probes = f"; probes on {opa.diagnostic_url}/health" if opa.diagnostic_url else ""
        click.echo(
            f"OPA {OPA_VERSION} serving {bundle_path} on {opa.url} (pid {opa.pid}){auth}{probes};"
            " SIGTERM or Ctrl-C stops it"
        )
        if run_until_stopped(stop, tick=lambda: opa.pid is not None):
            click.echo("stopped")
            return 0
    click.echo(f"OPA exited: {opa.failure_reason()}", err=True)
    return EXIT_FAILED
