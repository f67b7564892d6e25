"""The ``trustpolicy`` command line: a thin layer over the library, one call per command.

Exit codes (every command): 0 allow or success, 1 deny or a failed check (signature,
tests), 2 invalid input or usage, 3 escalate (legal review), 4 policy engine unavailable
or without a usable decision; 130 when interrupted.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from trustpolicy.authoring._policy_tests import run_policy_tests
from trustpolicy.authoring._provisions import format_provisions, provisions
from trustpolicy.authoring._registration import registration_problems
from trustpolicy.cli._cli_common import (
    EXIT_FAILED,
    block,
    engine_client,
    engine_options,
    epilog,
    outcome_exit_code,
    read_input,
    report_error,
)
from trustpolicy.cli._cli_db import collect, db_options, open_store
from trustpolicy.cli._cli_db import db as db_group
from trustpolicy.cli._cli_detainer import detainer
from trustpolicy.cli._cli_ops import setup, token
from trustpolicy.cli._cli_reconcile import REPORT_OPTIONS, reconcile, write_report
from trustpolicy.cli._cli_versions import as_of_option, impact, with_occurred_at
from trustpolicy.cli._lazy import LazyGroup
from trustpolicy.cli._render import decision_document, explain
from trustpolicy.contract._errors import TrustPolicyError
from trustpolicy.contract._inputs import load_requests
from trustpolicy.engine._tools import OPA_VERSION, policies_dir
from trustpolicy.record._report import BOSTON
from trustpolicy.record._report_pdf import render_pdf

__all__ = ["cli", "main"]

_EXIT_CODES = block(
    "Exit codes",
    "0 allow or success, 1 deny or a failed check, 2 invalid input or usage,",
    "3 escalate to legal review, 4 policy engine unavailable, 130 interrupted.",
)
_POLICIES = click.option(
    "--policies",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The policies folder (default: $TRUSTPOLICY_POLICIES or the checkout's policies/).",
)


#: Commands that need the server extra, imported when run (see LazyGroup).
_SERVER_COMMANDS = {
    "bundle": "trustpolicy.cli._cli_bundle:bundle",
    "agent-config": "trustpolicy.cli._cli_bundle:agent_config_command",
    "serve": "trustpolicy.cli._cli_serve:serve",
    "keys": "trustpolicy.cli._cli_ops:keys",
}


@click.group(
    cls=LazyGroup,
    lazy=_SERVER_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=epilog(_EXIT_CODES, block("Example", "trustpolicy decide --local request.json")),
)
@click.version_option(
    package_name="trustpolicy", message=f"%(prog)s %(version)s (OPA {OPA_VERSION})"
)
def cli() -> None:
    """Decide, explain, test, sign and serve the Boston Trust Act as OPA policy."""


@cli.command(
    epilog=epilog(
        block(
            "Exit codes",
            "0 allow, 1 deny, 3 escalate, 2 invalid input or usage, 4 engine unavailable.",
            "For a batch the most severe wins: 4 > 2 > 1 > 3 > 0.",
        ),
        block(
            "Examples",
            "trustpolicy decide --local request.json",
            "trustpolicy decide --url http://127.0.0.1:8181 --token-file t.txt - < batch.jsonl",
            "trustpolicy decide --format text --local request.json",
            "trustpolicy decide --local --as-of 2017-03-15 request.json",
        ),
    )
)
@engine_options
@as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="json: the decision document; text: the officer's explanation.",
)
@click.argument("file")
def decide(
    *,
    url: str,
    token: str | None,
    token_file: Path | None,
    local: bool,
    as_of: datetime | None,
    fmt: str,
    file: str,
) -> int:
    """Decide the request(s) in FILE ('-' for stdin) and print the decision(s).

    FILE holds one input document, a JSON array of them, or JSON Lines (one per line);
    several requests are decided in one batch and printed in the same shape (an array,
    or one decision per line). The token is read from --token-file or $TRUSTPOLICY_TOKEN
    and never printed.
    """
    text, source = read_input(file)
    requests, kind = load_requests(text, source)
    requests = with_occurred_at(requests, as_of)
    with engine_client(url, token, token_file, local=local) as client:
        decisions = client.decide_many(requests) if kind != "one" else [client.decide(requests[0])]
    if fmt == "text":
        click.echo("\n\n".join(d.explain() for d in decisions))
    elif kind == "array":
        click.echo(
            json.dumps([decision_document(d) for d in decisions], indent=2, ensure_ascii=False)
        )
    elif kind == "lines":
        click.echo(
            "\n".join(json.dumps(decision_document(d), ensure_ascii=False) for d in decisions)
        )
    else:
        click.echo(json.dumps(decision_document(decisions[0]), indent=2, ensure_ascii=False))
    return outcome_exit_code(decisions)


@cli.command(name="explain", epilog=block("Example", "trustpolicy explain --local request.json"))
@engine_options
@as_of_option
@click.argument("file")
def explain_command(
    *,
    url: str,
    token: str | None,
    token_file: Path | None,
    local: bool,
    as_of: datetime | None,
    file: str,
) -> int:
    """Explain in plain sentences what FILE asks and what the Trust Act answers.

    Says what was asked, the outcome, each provision with its citation, confidence and the
    version of the law it comes from, each exception that applied, what must be recorded,
    and the day whose law was applied. Exits like ``decide``.
    """
    text, source = read_input(file)
    requests, _ = load_requests(text, source)
    requests = with_occurred_at(requests, as_of)
    with engine_client(url, token, token_file, local=local) as client:
        decisions = (
            client.decide_many(requests) if len(requests) > 1 else [client.decide(requests[0])]
        )
    blocks = [explain(r, d) for r, d in zip(requests, decisions, strict=True)]
    click.echo("\n\n".join(blocks))
    return outcome_exit_code(decisions)


@cli.command(name="provisions", epilog=block("Example", "trustpolicy provisions --format markdown"))
@_POLICIES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
def provisions_command(*, policies: Path | None, fmt: str) -> int:
    """Print the traceability table read from the policies' METADATA.

    Columns: ID, title, citation, confidence, the exceptions that lift a provision (for an
    exception: what it lifts), and the number of Rego tests that fire it. A test counts
    when it is a ``test_*`` rule run by ``opa test`` whose body mentions the ID, directly
    or through a non-test rule of the same ``*_test.rego`` file that it names.
    """
    rows = provisions(policies or policies_dir())
    click.echo(format_provisions(rows, fmt))
    return 0


@cli.command(name="test", epilog=block("Example", "trustpolicy test"))
@_POLICIES
@click.option("--threshold", type=click.FloatRange(0, 100), default=100.0, show_default=True)
def test_command(*, policies: Path | None, threshold: float) -> int:
    """Run the policy tests with coverage (``opa test --coverage``); for policy authors.

    Exits 1 when a test fails, coverage is below the threshold (100% by default), or a
    provision package would never reach the decision (it defines no violations,
    escalations or obligations, or names no version of the law); lists each.
    """
    tree = policies or policies_dir()
    report = run_policy_tests(tree, threshold=threshold)
    unregistered = registration_problems(tree)
    passed = len(report.tests) - len(report.failed)
    click.echo(f"tests: {passed}/{len(report.tests)} passed")
    for failed in report.failed:
        click.echo(f"  FAIL {failed.package}.{failed.name} ({failed.file}:{failed.row})")
    if report.coverage is None:
        click.echo("coverage: not measured (OPA measures it only when every test passes)")
    else:
        click.echo(f"coverage: {report.coverage:.2f}% (threshold {threshold:g}%)")
    for name, rows in report.uncovered:
        click.echo(f"  not covered: {name}: lines {', '.join(map(str, rows))}")
    for problem in unregistered:
        click.echo(f"  not registered: {problem}")
    return 0 if report.ok and not unregistered else EXIT_FAILED


@cli.command(
    epilog=block(
        "Examples",
        "trustpolicy report --year 2026 --format html --db var/decisions.sqlite --out report.html",
        "trustpolicy report --year 2026 --format pdf --db var/decisions.sqlite --out report.pdf \\",
        "    --reimbursements finance-2026.csv --ice-list ice-2026.csv",
    )
)
@click.option(
    "--year", type=int, default=None, help="Calendar year (Boston time); default: this year."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html", "pdf"]),
    default="markdown",
    show_default=True,
    help="pdf is rendered from the HTML and needs --out.",
)
@db_options
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout."
)
@REPORT_OPTIONS
def report(
    *,
    year: int | None,
    fmt: str,
    db: str,
    db_password_file: Path | None,
    out: Path | None,
    reimbursements: Path | None,
    ice_list: Path | None,
    key_file: Path | None,
) -> int:
    """Write the Section 3 annual report to the City Council from stored decision logs."""
    if fmt == "pdf" and out is None:
        raise click.UsageError("--format pdf needs --out FILE")
    text = write_report(
        open_store(db, db_password_file),
        year or datetime.now(BOSTON).year,
        fmt,
        reimbursements=reimbursements,
        ice_list=ice_list,
        key_file=key_file,
    )
    if out is None:
        click.echo(text, nl=False)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.write_bytes(render_pdf(text))
    else:
        out.write_text(text, encoding="utf-8")
    click.echo(f"report written to {out}")
    return 0


@cli.command(epilog=block("Example", "trustpolicy demo"))
def demo() -> int:
    """Run the demo: sign and serve the bundle, start an agent, replay real cases, report.

    Builds and signs the bundle with a fresh development key, serves it to a local OPA
    agent, replays the 2017 Tara Construction case and the worked examples of the
    contract, checks each against its expected outcome, and writes the annual report
    under var/demo/. Exits 1 if any worked example differs.
    """
    try:
        from trustpolicy.cli._demo import run_demo  # noqa: PLC0415 - only the demo needs it
    except ModuleNotFoundError as exc:
        raise click.UsageError(
            f"the demo needs the server extra ({exc.name} is not installed): "
            "pip install 'trustpolicy[server]'"
        ) from exc

    return run_demo(click.echo)


cli.add_command(token)
cli.add_command(setup)
cli.add_command(db_group)
cli.add_command(collect)
cli.add_command(impact)
cli.add_command(detainer)
cli.add_command(reconcile)


def _command_name(args: list[str]) -> str | None:
    names = {*cli.commands, *_SERVER_COMMANDS}
    return next((a for a in args if a in names), None)


def main(args: list[str] | None = None) -> int:
    """Entry point of the ``trustpolicy`` script; returns (and exits with) the exit code."""
    argv = list(sys.argv[1:] if args is None else args)
    try:
        code = cli.main(argv, prog_name="trustpolicy", standalone_mode=False)
    except (KeyboardInterrupt, click.Abort):
        click.echo("trustpolicy: interrupted", err=True)
        code = 130
    except (click.ClickException, TrustPolicyError, OSError) as exc:
        code = report_error(exc, _command_name(argv))
    code = code if isinstance(code, int) else 0
    if args is None:
        sys.exit(code)
    return code
