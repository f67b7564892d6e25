"""The law in force on a chosen day, on the command line: ``--as-of`` for decide and explain.

``--as-of DATE`` gives every request that has no ``occurred_at`` one: DATE as a day
(``2017-03-15``, the start of that day in Boston) or as an RFC 3339 time. A request that
names its own ``occurred_at`` keeps it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
import click

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from trustpolicy.contract._models import DecisionRequest

__all__ = ["as_of_option", "parse_as_of", "with_occurred_at"]

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
