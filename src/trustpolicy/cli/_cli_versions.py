"""The law in force on a chosen day, on the command line: ``--as-of`` and ``impact``.

``--as-of DATE`` (decide, explain) gives every request that has no ``occurred_at`` one:
DATE as a day (``2017-03-15``, the start of that day in Boston) or as an RFC 3339 time. A
request that names its own ``occurred_at`` keeps it. ``impact`` replays stored decisions
through a candidate bundle and reports what changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
import click

from trustpolicy.cli._cli_common import block
from trustpolicy.cli._cli_db import db_options, open_store
from trustpolicy.record._impact import replay_decisions
from trustpolicy.record._impact_report import impact_report

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from trustpolicy.contract._models import DecisionRequest

__all__ = ["as_of_option", "impact", "parse_as_of", "with_occurred_at"]

F = TypeVar("F", bound="Callable[..., Any]")

#: The city's time zone: a bare day is that day in Boston (as the law's own data reads it).
BOSTON = ZoneInfo("America/New_York")


def parse_as_of(text: str) -> dt.datetime:
    """A day (YYYY-MM-DD: the start of that day in Boston) or an RFC 3339 time, as a moment.

    Raises :class:`click.BadParameter` for anything else, and for a time without an offset.
    """
    text = text.strip()
    try:
        if len(text) == len("2017-03-15"):
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), BOSTON)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise click.BadParameter(
            f"{text!r} is not a day (YYYY-MM-DD) or an RFC 3339 time with an offset "
            "(2017-03-15T09:30:00-04:00)"
        )
    return moment


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    return None if value is None else parse_as_of(value)


def as_of_option(func: F) -> F:
    """``--as-of DATE``: decide requests without ``occurred_at`` under that day's law."""
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        default=None,
        callback=_as_of,
        help=(
            "Decide under the law in force on DATE (YYYY-MM-DD, or an RFC 3339 time): "
            "sets occurred_at on every request that has none."
        ),
    )(func)


def with_occurred_at(
    requests: Iterable[DecisionRequest], moment: dt.datetime | None
) -> list[DecisionRequest]:
    """The requests, each without ``occurred_at`` given ``moment`` as its ``occurred_at``."""
    if moment is None:
        return list(requests)
    return [
        r if r.occurred_at is not None else attrs.evolve(r, occurred_at=moment) for r in requests
    ]


@click.command(
    epilog=block(
        "Examples",
        "trustpolicy impact --db var/decisions.sqlite --bundle candidate.tar.gz",
        "trustpolicy impact --db d.sqlite --bundle c.tar.gz --key city.pub.pem --key-id city "
        "--year 2026 --format html --out impact.html",
        "trustpolicy impact --db d.sqlite --bundle c.tar.gz --as-of 2017-03-15",
    )
)
@db_options
@click.option(
    "--bundle",
    "bundle_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The candidate bundle (.tar.gz) to replay the stored decisions through.",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key: OPA refuses the candidate unless its signature verifies.",
)
@click.option("--key-id", default="trustpolicy", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    default=None,
    callback=_as_of,
    help="Replay every decision under the law in force on DATE instead of its own day's.",
)
@click.option("--year", type=int, default=None, help="Only decisions of this year (Boston time).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html", "json"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout."
)
def impact(
    *,
    db: str,
    db_password_file: Path | None,
    bundle_path: Path,
    key: Path | None,
    key_id: str,
    as_of: dt.datetime | None,
    year: int | None,
    fmt: str,
    out: Path | None,
) -> int:
    """Replay the stored decisions through a candidate bundle and report what changes.

    Each stored decision's logged input is asked again of a local OPA serving the
    candidate (loopback, no decision logs), in batches, with progress on stderr. A logged
    input without occurred_at is replayed at the moment it was decided, so on the same
    bundle nothing changes. The report counts outcomes before and after and lists every
    changed decision by provision (rules gained and lost), district, action and month.
    """
    for path, what in ((bundle_path, "bundle"), (key, "key file")):
        if path is not None and not path.is_file():
            raise click.UsageError(f"{path}: no such {what}")

    def progress(done: int, total: int | None) -> None:
        of = f" of {total} stored decisions" if total is not None else " decisions"
        click.echo(f"replayed {done}{of} so far", err=True)

    with open_store(db, db_password_file) as store:
        result = replay_decisions(
            store,
            bundle_path,
            verification_key=key,
            key_id=key_id,
            as_of=as_of,
            year=year,
            progress=progress,
        )
    text = impact_report(result, fmt)
    click.echo(
        f"replayed {result.replayed} decisions in {result.seconds:.1f} s: "
        f"{len(result.changes)} changed",
        err=True,
    )
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"impact report written to {out}", err=True)
    return 0
