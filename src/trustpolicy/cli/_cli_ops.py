"""Operator commands: ``trustpolicy keys generate``, ``token new|revoke``, ``setup``.

``setup`` (see :mod:`trustpolicy.cli._setup`) builds the pinned OPA for an installed package.

Keys sign bundles; tokens let a client ask an agent. A token is printed once and never
stored: only its SHA-256 goes into the clients file, which ``trustpolicy bundle build
--clients`` puts into the signed bundle for ``system.authz``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import click

from trustpolicy.cli._cli_common import block
from trustpolicy.contract._errors import ConfigError
from trustpolicy.contract._tokens import generate_token, token_sha256
from trustpolicy.engine._setup import install_tool
from trustpolicy.engine._tools import OPA_VERSION, REGAL_VERSION, tool_cache

__all__ = ["keys", "read_clients", "setup", "token"]

DEFAULT_CLIENTS = Path("api-clients.json")
_ALGORITHMS = click.Choice(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                            "ES256", "ES384", "ES512"])  # fmt: skip
_CLIENTS_OPTION = click.option(
    "--clients",
    "clients_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CLIENTS,
    show_default=True,
    help="The clients file: client name -> token SHA-256 (no token is ever in it).",
)


def read_clients(path: Path) -> dict[str, str]:
    """The ``{"api_clients": {name: digest}}`` file as a dict (empty if it does not exist)."""
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable clients file: {exc}") from exc
    clients = doc.get("api_clients") if isinstance(doc, dict) else None
    if not isinstance(clients, dict) or not all(isinstance(v, str) for v in clients.values()):
        raise ConfigError(f'{path}: expected {{"api_clients": {{"<client>": "<sha256>"}}}}')
    return dict(clients)


def _write_clients(path: Path, clients: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    doc = {"api_clients": dict(sorted(clients.items()))}
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


@click.group(epilog=block("Example", "trustpolicy keys generate --out-dir /etc/trustpolicy/keys"))
def keys() -> None:
    """Bundle signing keys."""


@keys.command(
    name="generate",
    epilog=block(
        "Example",
        "trustpolicy keys generate --out-dir keys --name city",
        "# then: trustpolicy bundle sign --key keys/city.key.pem --key-id city",
    ),
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
)
@click.option("--name", default="city", show_default=True, help="File name stem and key id.")
@click.option("--algorithm", type=_ALGORITHMS, default="RS256", show_default=True)
def generate(*, out_dir: Path, name: str, algorithm: str) -> int:
    """Write a signing key pair: NAME.key.pem (mode 0600) and NAME.pub.pem (mode 0644).

    The private key signs bundles (keep it in the city's key store, never in git); the
    public key goes to every agent. Existing files are never overwritten.
    """
    from trustpolicy.bundles._signing import generate_signing_key  # noqa: PLC0415 - server extra

    for suffix in (".key.pem", ".pub.pem"):
        if (out_dir / f"{name}{suffix}").exists():
            raise click.UsageError(f"{out_dir / (name + suffix)} exists: not overwriting a key")
    pair = generate_signing_key(out_dir, algorithm=algorithm, name=name)
    pair.private.chmod(stat.S_IRUSR | stat.S_IWUSR)
    pair.public.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    click.echo(f"private key {pair.private} (0600): signs bundles; keep it secret")
    click.echo(f"public key  {pair.public} (0644): give it to agents with --key-id {name}")
    return 0


@click.group(
    epilog=block(
        "Example",
        "trustpolicy token new --client c11 --out /etc/trustpolicy/c11.token",
        "trustpolicy bundle build --clients api-clients.json",
    )
)
def token() -> None:
    """API tokens for the clients of an agent (system.authz)."""


@token.command(
    name="new",
    epilog=block(
        "Example",
        "trustpolicy token new --client c11 > c11.token   # printed once, on stdout only",
    ),
)
@click.option("--client", "client_name", required=True, help="The client's name, e.g. c11.")
@_CLIENTS_OPTION
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the token to this new file (mode 0600) instead of printing it.",
)
@click.option("--replace", is_flag=True, help="Replace the client's existing digest.")
def new(*, client_name: str, clients_path: Path, out: Path | None, replace: bool) -> int:
    """Make a new token for CLIENT: print it once, record only its SHA-256 in --clients.

    Rebuild, sign and publish the bundle afterwards (trustpolicy bundle build --clients):
    agents admit the client once they run that bundle.
    """
    clients = read_clients(clients_path)
    if client_name in clients and not replace:
        raise click.UsageError(
            f"client {client_name} already has a token in {clients_path} (use --replace, or a "
            "new name such as c11-2027 to rotate without downtime)"
        )
    secret = generate_token()
    clients[client_name] = token_sha256(secret)
    if out is not None:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret + "\n")
    _write_clients(clients_path, clients)
    where = f"written to {out} (0600)" if out else "printed on stdout, once: store it now"
    click.echo(f"token for client {client_name}: {where}; digest in {clients_path}", err=True)
    if out is None:
        click.echo(secret)
    return 0


@token.command(name="revoke", epilog=block("Example", "trustpolicy token revoke --client c11-2026"))
@click.option("--client", "client_name", required=True)
@_CLIENTS_OPTION
def revoke(*, client_name: str, clients_path: Path) -> int:
    """Remove CLIENT's digest from --clients; rebuild and publish the bundle to take effect."""
    clients = read_clients(clients_path)
    if client_name not in clients:
        raise click.UsageError(f"{clients_path} has no client {client_name}")
    del clients[client_name]
    _write_clients(clients_path, clients)
    click.echo(f"revoked {client_name} in {clients_path}; {len(clients)} client(s) left")
    return 0


@click.command(
    epilog=block(
        "Examples",
        "trustpolicy setup              # the pinned OPA, once per user",
        "trustpolicy setup --regal      # and Regal, for policy authors' lint",
    )
)
@click.option("--regal", is_flag=True, help=f"Also build Regal v{REGAL_VERSION}.")
def setup(*, regal: bool) -> int:
    """Install the pinned OPA into the per-user tool cache with 'go install' (no checkout needed).

    An OPA already built there is reused. Without Go, says exactly what to do. The cache
    is ~/.cache/trustpolicy/tools (or $TRUSTPOLICY_TOOL_CACHE), shared with 'make setup'.
    """
    names = ["opa", "regal"] if regal else ["opa"]
    for name in names:
        path, built = install_tool(name, echo=lambda line: click.echo(f"setup: {line}", err=True))
        verb = "built" if built else "found"
        click.echo(f"{name} {OPA_VERSION if name == 'opa' else REGAL_VERSION}: {verb} {path}")
    click.echo(f"ready: tools in {tool_cache()}; trustpolicy finds them there")
    return 0
