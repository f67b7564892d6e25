"""Times in the input document: RFC 3339 strings, or aware datetimes turned into one.

``occurred_at`` selects the law in force (contract section 2, Versions in force), so a time
whose offset is unknown is refused rather than guessed: a naive :class:`datetime.datetime`
is kept as given by the converter and reported by the request check, naming the field.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

__all__: list[str] = []

# RFC 3339 section 5.6 date-time, as both JSON Schema checkers read it: upper-case T and Z,
# seconds 00-59 (no leap second), year 0001-9999, a real calendar day. OPA's checker also
# takes a bare date or time, "," fractions and offsets past 23:59; the SDK does not.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"
)

#: What the check says of a naive datetime.
NAIVE = (
    "must be a time-zone-aware datetime or an RFC 3339 string with an offset: a naive "
    "datetime does not say when the act happened (use datetime.now(UTC) or add a tzinfo)"
)


def is_rfc3339(value: str) -> bool:
    """Whether ``value`` is an RFC 3339 date-time as the input schema's checkers read it."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    off_hour, off_minute = (int(g or 0) for g in match.groups()[6:])
    return (
        year >= 1
        and 1 <= month <= 12  # noqa: PLR2004
        and 1 <= day <= calendar.monthrange(year, month)[1]
        and hour <= 23  # noqa: PLR2004
        and off_hour <= 23  # noqa: PLR2004
        and max(minute, second, off_minute) <= 59  # noqa: PLR2004
    )


def is_naive(value: object) -> bool:
    """Whether ``value`` is a datetime without a usable UTC offset."""
    return isinstance(value, datetime) and value.utcoffset() is None


def rfc3339(moment: datetime) -> str:
    """An aware datetime as RFC 3339 (``Z`` for UTC; an offset with seconds goes to UTC)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a naive datetime has no RFC 3339 form")
    if offset % timedelta(minutes=1):
        moment, offset = moment.astimezone(UTC), timedelta(0)
    text = moment.isoformat()
    return text.removesuffix("+00:00") + "Z" if not offset else text


def _moment(value: datetime | str | None) -> str | None:
    """Converter: an aware datetime becomes its RFC 3339 text; anything else is kept."""
    if isinstance(value, datetime) and not is_naive(value):
        return rfc3339(value)
    return value  # type: ignore[return-value]  # a naive datetime is reported by the check
