"""The store's commands: ``db migrate``, ``db status``, ``collect``, and the ``--db`` options.

Every command that reads or writes the decision store takes ``--db URL`` (a path or
``sqlite:///path``, or ``postgresql://user@host:port/db``) and ``--db-password-file``. The
password is read from that file or from ``TRUSTPOLICY_DB_PASSWORD`` (or libpq's
``PGPASSWORD``); there is no option that takes it on the command line.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from trustpolicy.cli._cli_common import EXIT_FAILED, block, epilog
from trustpolicy.cli._lifecycle import run_until_stopped, stop_signals
from trustpolicy.contract._errors import ConfigError
from trustpolicy.record._backend import PASSWORD_ENV, parse_store_url, read_password_file
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["KEY_FILE", "collect", "db", "db_options", "open_store"]

F = TypeVar("F", bound="Callable[..., Any]")

_DB_HELP = (
    "The decision store: a path or sqlite:///path, or postgresql://user@host:port/db "
    f"(password from --db-password-file or {PASSWORD_ENV}, never in the URL)."
)


# The detainer register's key (the collector, report, reconcile and detainer commands).
KEY_FILE = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The register key (default: $TRUSTPOLICY_REGISTER_KEY_FILE or $TRUSTPOLICY_REGISTER_KEY).",
)


def db_options(func: F) -> F:
    """Add ``--db`` (required) and ``--db-password-file`` to a command."""
    options = [
        click.option(
            "--db",
            required=True,
            envvar="TRUSTPOLICY_DB",
            show_envvar=True,
            metavar="URL",
            help=_DB_HELP,
        ),
        click.option(
            "--db-password-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read the PostgreSQL password from this file (one line).",
        ),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), func)


def open_store(
    db: str, password_file: Path | None, *, migrate: bool | None = None, must_exist: bool = True
) -> DecisionStore:
    """Open the store named by ``--db``; a SQLite file must exist unless ``must_exist`` is off."""
    parsed = parse_store_url(db)
    if parsed.path is not None:
        if password_file is not None:
            raise click.UsageError("--db-password-file is for a postgresql:// store only")
        if must_exist and not parsed.path.is_file():
            raise click.UsageError(f"{parsed.path}: no such decision store")
    password = None if password_file is None else read_password_file(password_file)
    return DecisionStore(db, password=password, migrate=migrate)


@click.group(name="db")
def db() -> None:
    """Create, migrate and inspect the decision store's schema."""


@db.command(
    name="migrate",
    epilog=block(
        "Examples",
        "trustpolicy db migrate --db var/decisions.sqlite",
        "trustpolicy db migrate --db postgresql://trustpolicy@db.city.internal/records \\",
        "    --db-password-file /run/secrets/records-db",
    ),
)
@db_options
def migrate_command(*, db: str, db_password_file: Path | None) -> int:
    """Apply the schema migrations the store lacks, and say which (none if current)."""
    with open_store(db, db_password_file, migrate=False, must_exist=False) as store:
        done = store.migrate()
        status = store.schema_status()
    for migration in done:
        click.echo(f"applied migration {migration.version}: {migration.name}")
    if not done:
        click.echo("no migration to apply")
    click.echo(f"{status.url}: schema at version {status.version} (latest {status.latest})")
    return 0


@db.command(
    name="status",
    epilog=epilog(
        block("Example", "trustpolicy db status --db postgresql://trustpolicy@db/records"),
        block("Exit codes", "0  schema current", "1  migrations pending (or schema newer)"),
    ),
)
@db_options
def status_command(*, db: str, db_password_file: Path | None) -> int:
    """List the applied and pending schema migrations and count the stored decisions."""
    with open_store(db, db_password_file, migrate=False) as store:
        status = store.schema_status()
        count = store.count() if status.applied else 0
    click.echo(f"{status.url}: schema at version {status.version} (latest {status.latest})")
    for applied in status.applied:
        stamp = applied.applied_at.isoformat(timespec="seconds")
        click.echo(f"  applied {applied.version}: {applied.name} ({stamp})")
    for pending in status.pending:
        click.echo(f"  pending {pending.version}: {pending.name}")
    if status.version > status.latest:
        click.echo("  the schema is newer than this trustpolicy: upgrade trustpolicy")
    click.echo(f"decisions stored: {count}")
    return 0 if status.current else EXIT_FAILED


def _tokens(path: Path) -> dict[str, str]:
    try:
        tokens = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"tokens: cannot read {path} as JSON: {type(exc).__name__}") from exc
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
    ):
        raise ConfigError(f"tokens: {path} must be a JSON object of agent name to token")
    return tokens


@click.command(
    name="collect",
    epilog=block(
        "Example",
        "trustpolicy collect --db postgresql://collector@db.city.internal/records \\",
        "    --db-password-file /run/secrets/records-db --key-file /etc/tp/register.key \\",
        "    --tokens agents.json --port 8282",
    ),
)
@db_options
@KEY_FILE
@click.option(
    "--tokens",
    "tokens_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSON object of agent name to bearer token: {"bpd-d4": "..."}.',
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8282, show_default=True)
def collect(
    *,
    db: str,
    db_password_file: Path | None,
    key_file: Path | None,
    tokens_file: Path,
    host: str,
    port: int,
) -> int:
    """Receive OPA agents' decision logs and status into the store until stopped (SIGTERM)."""
    try:  # the server extra (aiohttp): imported here so client-only installs keep the CLI
        from trustpolicy.record._collector import Collector  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        raise click.UsageError(
            f"'trustpolicy collect' needs the server extra ({exc.name} is not installed): "
            "pip install 'trustpolicy[server]'"
        ) from exc
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    tokens = _tokens(tokens_file)
    key = RegisterKey.resolve(key_file)
    store = open_store(db, db_password_file, must_exist=False)
    # SIGTERM or SIGINT stop it with exit 0; a SIGINT ignored at start stays ignored.
    with (
        stop_signals() as stop,
        store,
        Collector(store, tokens, host=host, port=port, register_key=key) as collector,
    ):
        click.echo(f"collector on {collector.url} -> {store.url}", err=True)
        run_until_stopped(stop, period=1.0)
        click.echo("collector: stopping (finishing in-flight uploads)", err=True)
    return 0
