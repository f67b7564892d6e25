"""What every trustpolicy command shares: exit codes, one-line errors, engine options."""

from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from trustpolicy.client._client import DEFAULT_URL, Client
from trustpolicy.contract._decision import Decision, Outcome
from trustpolicy.contract._errors import (
    BundleError,
    CollectorError,
    ConfigError,
    EngineError,
    EngineUnavailable,
    InvalidRequest,
    SignatureError,
    ToolNotFound,
)
from trustpolicy.engine._engine import LocalOPA

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "EXIT_ALLOW",
    "EXIT_DENY",
    "EXIT_ESCALATE",
    "EXIT_FAILED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "block",
    "engine_client",
    "engine_options",
    "epilog",
    "error_exit_code",
    "one_line",
    "outcome_exit_code",
    "read_input",
    "report_error",
]

EXIT_ALLOW = 0
EXIT_DENY = 1
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ESCALATE = 3
EXIT_UNAVAILABLE = 4
_BY_OUTCOME = {Outcome.ALLOW: EXIT_ALLOW, Outcome.DENY: EXIT_DENY, Outcome.ESCALATE: EXIT_ESCALATE}
# The most severe first: engine unavailable, invalid input, deny, escalate, allow.
_SEVERITY = (EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_DENY, EXIT_ESCALATE, EXIT_ALLOW)

F = TypeVar("F", bound="Callable[..., Any]")


def block(title: str, *lines: str) -> str:
    """Return a help paragraph click prints as written (examples, exit codes)."""
    return "\b\n" + "\n".join([f"{title}:", *(f"  {line}" for line in lines)])


def epilog(*blocks: str) -> str:
    """Join help paragraphs for a command's ``epilog``."""
    return "\n\n".join(blocks)


def outcome_exit_code(decisions: Iterable[Decision]) -> int:
    """Exit code of a batch: the most severe outcome (deny 1 > escalate 3 > allow 0)."""
    codes = {_BY_OUTCOME[d.outcome] for d in decisions}
    if not codes:
        return EXIT_USAGE  # no decision is never an allow
    return next((c for c in _SEVERITY if c in codes), EXIT_ALLOW)


def error_exit_code(exc: BaseException) -> int:
    """Return the exit code an error maps to (see ``trustpolicy --help``)."""
    if isinstance(exc, (EngineUnavailable, EngineError, ToolNotFound)):
        return EXIT_UNAVAILABLE
    if isinstance(exc, SignatureError):
        return EXIT_FAILED
    if isinstance(exc, (InvalidRequest, ConfigError, BundleError, CollectorError, OSError)):
        return EXIT_USAGE
    if isinstance(exc, click.ClickException):
        return EXIT_USAGE
    return EXIT_FAILED


def one_line(exc: BaseException) -> str:
    """Return the error as one line: no traceback, no multi-line engine log."""
    if isinstance(exc, click.ClickException):
        text = exc.format_message()
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror or exc}"
    else:
        text = str(exc)
    first = " ".join(text.split("\n", 1)[0].split())
    return first or type(exc).__name__


def report_error(exc: BaseException, command: str | None) -> int:
    """Print ``trustpolicy <command>: error: <one line>`` on stderr; return the exit code."""
    prefix = f"trustpolicy {command}" if command else "trustpolicy"
    hint = ""
    if isinstance(exc, click.UsageError):
        hint = f" (see '{prefix} --help')"
    click.echo(f"{prefix}: error: {one_line(exc)}{hint}", err=True)
    return error_exit_code(exc)


def read_input(file: str) -> tuple[str, str]:
    """Read ``file`` (``-`` for stdin); return the text and a name for error messages."""
    if file == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(file)
    if not path.is_file():
        raise click.UsageError(f"{file}: no such file")
    try:
        return path.read_text(encoding="utf-8"), file
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"{file}: cannot read: {exc}") from exc


def engine_options(func: F) -> F:
    """Add ``--url``, ``--token``/``--token-file`` and ``--local`` to a command."""
    options = [
        click.option(
            "--url",
            envvar="TRUSTPOLICY_URL",
            default=DEFAULT_URL,
            show_default=True,
            show_envvar=True,
            help="Base URL of the OPA agent to ask.",
        ),
        click.option(
            "--token",
            envvar="TRUSTPOLICY_TOKEN",
            show_envvar=True,
            help="Bearer token for the agent (prefer the variable or --token-file).",
        ),
        click.option(
            "--token-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read the bearer token from this file.",
        ),
        click.option(
            "--local",
            is_flag=True,
            help="Decide against a throwaway local OPA on the working tree's policies.",
        ),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), func)


def _token(token: str | None, token_file: Path | None) -> str | None:
    if token_file is None:
        return token or None
    if token:
        raise click.UsageError("give --token (or TRUSTPOLICY_TOKEN) or --token-file, not both")
    try:
        return token_file.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise click.UsageError(f"{token_file}: cannot read the token file") from exc


@contextlib.contextmanager
def engine_client(
    url: str, token: str | None, token_file: Path | None, *, local: bool
) -> Iterator[Client]:
    """Yield a raising (fail-closed) client: for ``local`` on a throwaway OPA, else on ``url``."""
    secret = _token(token, token_file)
    if not local:
        try:
            client = Client(url, token=secret, timeout=10.0)
        except ValueError as exc:
            raise click.UsageError(f"--url: {exc}") from exc
        with client:
            yield client
        return
    with LocalOPA() as opa, Client(opa.url, timeout=10.0) as client:
        yield client
