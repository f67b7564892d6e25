"""``trustpolicy reconcile`` and the register's inputs to ``trustpolicy report``.

``reconcile`` matches ICE's list of the detainers it lodged against the detainer register
(the keyed hash of the reference, then date and district) and prints matched, to chase
(on ICE's list, never recorded) and recorded but not on ICE's list. ``report`` takes the
same ``--ice-list`` to add that section, and ``--reimbursements`` for the City's finance
records.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from trustpolicy.cli._cli_common import block
from trustpolicy.cli._cli_db import db_options, open_store
from trustpolicy.cli._cli_detainer import KEY_FILE
from trustpolicy.record._reconcile import Reconciliation, read_ice_list, reconcile_store
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._reimbursements import read_reimbursements
from trustpolicy.record._report import BOSTON, annual_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from trustpolicy.record._store import DecisionStore

__all__ = ["REPORT_OPTIONS", "reconcile", "write_report"]

F = TypeVar("F", bound="Callable[..., object]")
_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)


def REPORT_OPTIONS(func: F) -> F:  # noqa: N802 - used as a decorator, like click's
    """``--reimbursements``, ``--ice-list`` and ``--key-file`` for ``trustpolicy report``."""
    for option in (
        KEY_FILE,
        click.option(
            "--ice-list",
            type=_FILE,
            default=None,
            help="ICE's CSV of detainers lodged (date, district or facility, reference): "
            "adds the reconciliation; needs the register key.",
        ),
        click.option(
            "--reimbursements",
            type=_FILE,
            default=None,
            help="The finance records' CSV (case, date, amount[, program, description]).",
        ),
    ):
        func = option(func)
    return func


def _reconciliation(
    store: DecisionStore, year: int, ice_list: Path, key_file: Path | None
) -> Reconciliation:
    key = RegisterKey.resolve(key_file)
    store.bind_register_key(key)
    return reconcile_store(store, read_ice_list(ice_list, key), year)


def write_report(
    store: DecisionStore,
    year: int,
    fmt: str,
    *,
    reimbursements: Path | None,
    ice_list: Path | None,
    key_file: Path | None,
) -> str:
    """The report's markdown, or its HTML (``html`` and ``pdf``), from ``store`` (then closed)."""
    paid = read_reimbursements(reimbursements) if reimbursements is not None else None
    with store:
        matched = None if ice_list is None else _reconciliation(store, year, ice_list, key_file)
        return annual_report(
            store,
            year,
            "markdown" if fmt == "markdown" else "html",
            reimbursements=paid,
            reconciliation=matched,
        )


@click.command(
    epilog=block(
        "Example",
        "trustpolicy reconcile --year 2026 --ice-list ice-2026.csv --db var/decisions.sqlite",
    )
)
@click.option("--year", type=int, default=None, help="Calendar year; default: this year.")
@click.option("--ice-list", required=True, type=_FILE, help="ICE's CSV of detainers lodged.")
@db_options
@KEY_FILE
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html"]),
    default="text",
    show_default=True,
    help="markdown and html: the annual report's reconciliation section on its own.",
)
def reconcile(
    *,
    year: int | None,
    ice_list: Path,
    db: str,
    db_password_file: Path | None,
    key_file: Path | None,
    fmt: str,
) -> int:
    """Match ICE's list of detainers lodged against the register: matched, to chase, extra."""
    year = year or datetime.now(BOSTON).year
    with open_store(db, db_password_file) as store:
        result = _reconciliation(store, year, ice_list, key_file)
    if fmt != "text":
        click.echo(result.render(fmt), nl=False)
        return 0
    for label, count in result.totals().rows:
        click.echo(f"{label:<34}{count:>6}")
    click.echo("")
    click.echo("On ICE's list but never recorded (to chase):")
    for entry in result.ice_only:
        click.echo(f"  {entry.lodged.isoformat()}  {entry.district or '(none given)':<10}"
                   f"  ICE list line {entry.line}")  # fmt: skip
    click.echo("Recorded but not on ICE's list:")
    for d in result.register_only:
        day = d.first.received_at.astimezone(BOSTON).date().isoformat()
        click.echo(f"  {day}  {d.first.district or '(not recorded)':<10}  {d.form or ''}")
    return 0
