"""Reading operator CSV files row by row, with every bad row named by its line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trustpolicy.contract._errors import Problem

if TYPE_CHECKING:
    import csv
    from collections.abc import Iterator

__all__: list[str] = []


def data_rows(
    reader: csv.DictReader[str], name: str, width: int, problems: list[Problem]
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(where, fields)`` for each non-blank row, fields stripped.

    A row with too few or too many fields is added to ``problems`` (``where`` names the file
    and line) and skipped, so a caller can report every bad row and import nothing.
    """
    for row in reader:
        where = f"{name} line {reader.line_num}"
        if None in row or any(v is None for v in row.values()):
            problems.append(Problem("row", f"expected {width} fields", source=where))
            continue
        fields = {k: (v or "").strip() for k, v in row.items()}
        if any(fields.values()):
            yield where, fields
