"""``trustpolicy bundle build|sign|verify|serve`` and ``trustpolicy agent-config``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from trustpolicy.bundles._agent_config import agent_config, write_agent_config
from trustpolicy.bundles._bundle import build_bundle
from trustpolicy.bundles._bundle_server import BundleServer, load_tokens
from trustpolicy.bundles._signing import SigningKey, VerificationKey, sign_bundle, verify_bundle
from trustpolicy.cli._cli_common import block
from trustpolicy.cli._cli_ops import read_clients
from trustpolicy.cli._lifecycle import run_until_stopped, stop_signals
from trustpolicy.contract._errors import BundleError
from trustpolicy.contract._tokens import stage_policies
from trustpolicy.engine._tools import policies_dir

__all__ = ["agent_config_command", "bundle"]

_DEFAULT_BUNDLE = Path("bundles/build/trustpolicy.tar.gz")
_ALGORITHMS = click.Choice(
    [
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "HS256",
        "HS384",
        "HS512",
    ]
)


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise click.UsageError(f"{path}: no such {what}")
    return path


@click.group(
    epilog=block(
        "Example (the policy author's loop after 'trustpolicy test')",
        "trustpolicy bundle build",
        "trustpolicy bundle sign --key city.key.pem --key-id city",
        "trustpolicy bundle verify --key city.pub.pem --key-id city",
    )
)
def bundle() -> None:
    """Build, sign, verify and serve signed OPA bundles of the policies."""


@bundle.command(
    epilog=block("Example", "trustpolicy bundle build --out bundles/build/trustpolicy.tar.gz")
)
@click.option(
    "--policies",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Default: the checkout's policies/.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_DEFAULT_BUNDLE,
    show_default=True,
)
@click.option(
    "--revision", default=None, help="Default: git commit of the policies plus a content hash."
)
@click.option(
    "--clients",
    "clients_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Clients file from 'trustpolicy token new': their token digests go into the bundle "
    "(system/authz/data.json), so agents with --authentication=token admit them.",
)
def build(
    *, policies: Path | None, out: Path, revision: str | None, clients_path: Path | None
) -> int:
    """Build a reproducible bundle (.tar.gz) from the policies, without test files."""
    source = policies or policies_dir()
    with tempfile.TemporaryDirectory(prefix="trustpolicy-stage-") as tmp:
        clients: dict[str, str] = {}
        if clients_path is not None:
            clients = read_clients(_existing(clients_path, "clients file"))
            source = stage_policies(source, Path(tmp) / "policies", clients)
        info = build_bundle(source, out, revision=revision)
    admits = f", admits {len(clients)} client(s): {', '.join(sorted(clients))}" if clients else ""
    click.echo(
        f"built {info.path}: revision {info.revision}, {info.size} bytes, "
        f"{len(info.files)} files, {len(info.provisions)} provisions{admits}"
    )
    return 0


@bundle.command(
    epilog=block(
        "Example",
        "trustpolicy bundle sign --key city.key.pem --key-id city build/trustpolicy.tar.gz",
    )
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Private key (PEM) or HMAC secret file.",
)
@click.option(
    "--key-id",
    default="trustpolicy",
    show_default=True,
    help="The key id agents are configured with.",
)
@click.option("--algorithm", type=_ALGORITHMS, default="RS256", show_default=True)
@click.option("--scope", default=None)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Default: sign in place.",
)
@click.argument(
    "bundle_path",
    metavar="BUNDLE",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_DEFAULT_BUNDLE,
)
def sign(
    *,
    key_path: Path,
    key_id: str,
    algorithm: str,
    scope: str | None,
    out: Path | None,
    bundle_path: Path,
) -> int:
    """Sign BUNDLE (.signatures.json, as 'opa sign' writes it), in place or to --out."""
    key = SigningKey.from_file(
        _existing(key_path, "key file"), algorithm=algorithm, key_id=key_id, scope=scope
    )
    written = sign_bundle(_existing(bundle_path, "bundle"), key, out_path=out)
    click.echo(f"signed {written} with key id {key_id!r} ({algorithm})")
    return 0


@bundle.command(
    epilog=block(
        "Example",
        "trustpolicy bundle verify --key city.pub.pem --key-id city build/trustpolicy.tar.gz",
    )
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key (PEM), certificate or HMAC secret file.",
)
@click.option("--key-id", default="trustpolicy", show_default=True)
@click.option("--algorithm", type=_ALGORITHMS, default="RS256", show_default=True)
@click.option("--scope", default=None)
@click.argument(
    "bundle_path",
    metavar="BUNDLE",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_DEFAULT_BUNDLE,
)
def verify(
    *, key_path: Path, key_id: str, algorithm: str, scope: str | None, bundle_path: Path
) -> int:
    """Verify BUNDLE's signature and every file, as an OPA agent does. Exit 1 if it fails."""
    key = VerificationKey.from_file(
        _existing(key_path, "key file"), algorithm=algorithm, key_id=key_id, scope=scope
    )
    verified = verify_bundle(_existing(bundle_path, "bundle"), key, scope=scope)
    click.echo(
        f"verified {bundle_path}: revision {verified.revision}, "
        f"key id {verified.key_id!r}, {len(verified.files)} files"
    )
    return 0


@bundle.command(
    epilog=block(
        "Example",
        "TRUSTPOLICY_BUNDLE_TOKENS=c11=$(cat c11.token) trustpolicy bundle serve --port 8282",
    )
)
@click.option(
    "--tokens",
    "tokens_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File of '<agent> <token>' lines (default: $TRUSTPOLICY_BUNDLE_TOKENS=agent=token,...).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8282, show_default=True)
@click.argument(
    "bundle_path",
    metavar="BUNDLE",
    type=click.Path(dir_okay=False, path_type=Path),
    default=_DEFAULT_BUNDLE,
)
def serve(*, tokens_path: Path | None, host: str, port: int, bundle_path: Path) -> int:
    """Serve BUNDLE to agents (token per agent, ETag, long polling) until SIGTERM or Ctrl-C.

    Rebuilding or re-signing BUNDLE in place publishes the new revision to every agent.
    """
    tokens = load_tokens(_existing(tokens_path, "tokens file") if tokens_path else None)
    with stop_signals() as stop, BundleServer(tokens, host=host, port=port) as server:
        published = server.publish(_existing(bundle_path, "bundle"))
        click.echo(
            f"serving {server.url}/bundles/{published.name} revision {published.revision} "
            f"to {len(tokens)} agent(s); SIGTERM or Ctrl-C stops it"
        )
        stamp = [bundle_path.stat().st_mtime_ns]

        def republish() -> bool:
            stamp[0] = _republish(server, bundle_path, stamp[0])
            return True

        run_until_stopped(stop, tick=republish, period=1.0)
    click.echo("stopped")
    return 0


def _republish(server: BundleServer, bundle_path: Path, stamp: int) -> int:
    """Publish ``bundle_path`` if it changed; a bad file is refused and the last good stays."""
    try:
        changed = bundle_path.stat().st_mtime_ns
    except OSError:
        return stamp  # being replaced: look again next second
    if changed == stamp:
        return stamp
    try:
        click.echo(f"published revision {server.publish(bundle_path).revision}")
    except BundleError as exc:
        current = server.current()
        kept = current.revision if current is not None else "nothing"
        click.echo(f"refused {bundle_path}: {exc}; still serving revision {kept}", err=True)
    return changed


@click.command(
    name="agent-config",
    epilog=block(
        "Example",
        "trustpolicy agent-config --bundle-server https://bundles.city.example \\",
        "  --public-key city.pub.pem --key-id city --token-file /etc/opa/bundle.token \\",
        "  --collector https://logs.city.example --collector-token-file /etc/opa/logs.token \\",
        "  --department C-11 --out opa-config.yaml",
    ),
)
@click.option(
    "--bundle-server", "bundle_server_url", required=True, help="Base URL of the bundle server."
)
@click.option(
    "--public-key",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM public key the agent verifies bundles with (RS*, PS*, ES*).",
)
@click.option("--key-id", default="trustpolicy", show_default=True)
@click.option("--algorithm", type=_ALGORITHMS, default="RS256", show_default=True)
@click.option(
    "--hmac-secret-env",
    default=None,
    help="HS* only: the variable OPA reads the shared secret from (never written in).",
)
@click.option(
    "--token-file",
    "token_path",
    default=None,
    help="Path (on the agent's host) of its bundle-server token.",
)
@click.option("--token-env", default=None, help="Or: the environment variable holding that token.")
@click.option("--department", default=None, help="Label for the agent's decision logs.")
@click.option(
    "--collector", "collector_url", default=None, help="Collector URL for decision logs and status."
)
@click.option("--collector-token-file", "collector_token_path", default=None)
@click.option("--collector-token-env", default=None)
@click.option(
    "--persistence-dir",
    "persistence_directory",
    default=None,
    help="Where the agent keeps the last good bundle.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here (.json, else YAML); default: JSON on stdout.",
)
def agent_config_command(
    *, out: Path | None, public_key: Path | None, **options: str | None
) -> int:
    """Write the OPA configuration for one department's agent.

    The agent pulls the signed bundle (persisted, long polling) and ships decision logs
    to the collector. Tokens and HMAC secrets are referenced by file or variable, never
    written in; an HMAC algorithm with a PEM key is refused (a public key is no secret).
    """
    key = _existing(public_key, "public key file") if public_key is not None else None
    config = agent_config(public_key=key, **options)  # type: ignore[arg-type]
    if out is None:
        click.echo(json.dumps(config, indent=2))
    else:
        click.echo(f"wrote {write_agent_config(config, out)}")
    return 0
