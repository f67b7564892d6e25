"""Federal reimbursements by case, from a CSV of the City's finance records.

Payments are not decisions, so they are not in the decision logs: the operator supplies
the finance office's export (``trustpolicy report --reimbursements FILE``). Columns, with a
header row: ``case`` (the finance record's case or grant reference), ``date``
(YYYY-MM-DD), ``amount`` (dollars, ``$`` and thousands separators allowed), and optional
``program`` and ``description``. Every bad row is reported with its line; a file with any
bad row is refused whole.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs

from trustpolicy.contract._errors import InvalidRequest, Problem
from trustpolicy.record._csv import data_rows

__all__ = ["Reimbursement", "read_reimbursements"]

_COLUMNS = ("case", "date", "amount", "program", "description")
_REQUIRED = ("case", "date", "amount")
_MAX_TEXT = 200
_CENTS = -2  # at most two decimal places


@attrs.frozen
class Reimbursement:
    """One federal payment to the City, as the finance records give it."""

    case: str
    date: date
    amount: Decimal
    program: str = ""
    description: str = ""


def _amount(text: str) -> Decimal:
    cleaned = text.replace("$", "").replace(",", "").strip()
    value = Decimal(cleaned)
    if not value.is_finite() or value.as_tuple().exponent < _CENTS:  # type: ignore[operator]
        raise InvalidOperation
    return value


def read_reimbursements(path: str | Path) -> list[Reimbursement]:
    """Read the finance CSV; raise InvalidRequest with ``FILE line N: field: problem``."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            [Problem("file", f"cannot read: {exc}", source=name)], what="reimbursements"
        ) from None
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [h for h in header if h not in _COLUMNS]
    if missing or unknown:
        problem = f"missing column(s) {', '.join(missing)}" if missing else ""
        problem += ("; " if problem and unknown else "") + (
            f"unknown column(s) {', '.join(unknown)}" if unknown else ""
        )
        message = f"{problem}; expected {', '.join(_COLUMNS)}"
        raise InvalidRequest(
            [Problem("header", message, source=f"{name} line 1")], what="reimbursements"
        )
    reader.fieldnames = header
    found: list[Reimbursement] = []
    problems: list[Problem] = []
    for where, fields in data_rows(reader, name, len(header), problems):
        bad = [Problem(c, "required", source=where) for c in _REQUIRED if not fields.get(c)]
        bad += [
            Problem(k, f"longer than {_MAX_TEXT} characters or not printable", source=where)
            for k, v in fields.items()
            if len(v) > _MAX_TEXT or not v.isprintable()
        ]
        try:
            day = date.fromisoformat(fields["date"]) if fields.get("date") else None
        except ValueError:
            bad.append(Problem("date", f"{fields['date']!r} is not YYYY-MM-DD", source=where))
            day = None
        try:
            amount = _amount(fields["amount"]) if fields.get("amount") else None
        except (InvalidOperation, ValueError):
            message = f"{fields['amount']!r} is not an amount in dollars"
            bad.append(Problem("amount", message, source=where))
            amount = None
        if bad or day is None or amount is None:
            problems += bad
            continue
        found.append(
            Reimbursement(
                fields["case"],
                day,
                amount,
                fields.get("program", ""),
                fields.get("description", ""),
            )
        )
    if problems:
        raise InvalidRequest(problems, what="reimbursements")
    return found
