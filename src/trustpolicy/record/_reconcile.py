"""Reconciliation of the detainer register against ICE's list of detainers it lodged.

ICE's count and the department's differ (198 against 15 for 2024) because detainers
arrive by fax at district stations and not all are recorded. ICE's list (a CSV with
``date``, ``district`` or ``facility``, and ``reference``) is matched against the register:
first through the keyed hash of the reference (the register never holds the number, so
ICE's numbers are hashed under the City's key), then, for the rows no reference matched,
by date and district, one to one. What remains is *on ICE's list but never recorded*
(listed by date and district: the ones to chase) and *recorded but not on ICE's list*.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from trustpolicy.contract._errors import InvalidRequest, Problem
from trustpolicy.record._csv import data_rows
from trustpolicy.record._register import BOSTON, detainers
from trustpolicy.record._report import _MONTHS, _html, _markdown, _Section, _Table
from trustpolicy.record._report_charts import stacked_bars

if TYPE_CHECKING:
    from collections.abc import Sequence

    from trustpolicy.record._register import RegisteredDetainer
    from trustpolicy.record._register_key import RegisterKey
    from trustpolicy.record._store import DecisionStore

__all__ = ["Reconciliation", "read_ice_list", "reconcile_store"]

_DISTRICT = re.compile(r"\b([A-E])\s*-?\s*(\d{1,2})\b")
_MATCHED, _ICE_ONLY, _REGISTER_ONLY = (
    "Matched",
    "On ICE's list, never recorded",
    "Recorded, not on ICE's list",
)
_COLOURS = {_MATCHED: "#009e73", _ICE_ONLY: "#d55e00", _REGISTER_ONLY: "#0072b2"}


def district_key(text: str | None) -> str:
    """A district as compared: ``C-11`` from ``c11``, ``BPD District C-11`` or ``C 11``."""
    if not text:
        return ""
    found = _DISTRICT.search(text.upper())
    return f"{found[1]}-{int(found[2])}" if found else " ".join(text.upper().split())


@attrs.frozen
class IceEntry:
    """One detainer on ICE's list: the line it is on, its date, district and hashed number."""

    line: int
    lodged: date
    district: str
    reference_hash: str | None


@attrs.frozen
class Match:
    """An ICE entry and the register's detainer it was matched to, and how."""

    entry: IceEntry
    detainer: RegisteredDetainer
    by: str  # "reference" or "date and district"


def read_ice_list(path: str | Path, key: RegisterKey) -> list[IceEntry]:
    """Read ICE's CSV; references are hashed at once. Bad rows: InvalidRequest by line."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            [Problem("file", f"cannot read: {exc}", source=name)], what="ICE list"
        ) from None
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    place = "district" if "district" in header else "facility"
    allowed = {"date", "district", "facility", "reference"}
    if "date" not in header or place not in header or set(header) - allowed:
        message = "must be date, district (or facility) and reference"
        raise InvalidRequest(
            [Problem("columns", message, source=f"{name} line 1")], what="ICE list"
        )
    reader.fieldnames = header
    entries: list[IceEntry] = []
    problems: list[Problem] = []
    for where, fields in data_rows(reader, name, len(header), problems):
        try:
            lodged = date.fromisoformat(fields["date"][:10])
        except ValueError:
            problems.append(Problem("date", f"{fields['date']!r} is not YYYY-MM-DD", source=where))
            continue
        reference = fields.get("reference", "")
        digest = key.digest(reference) if reference else None
        entries.append(IceEntry(reader.line_num, lodged, district_key(fields[place]), digest))
    if problems:
        raise InvalidRequest(problems, what="ICE list")
    return entries


@attrs.frozen
class Reconciliation:
    """The outcome: matched pairs, ICE entries never recorded, detainers ICE does not list."""

    year: int
    matched: tuple[Match, ...]
    ice_only: tuple[IceEntry, ...]
    register_only: tuple[RegisteredDetainer, ...]

    @property
    def ice_total(self) -> int:
        """How many detainers ICE's list names for the year."""
        return len(self.matched) + len(self.ice_only)

    @property
    def register_total(self) -> int:
        """How many detainers the register holds for the year."""
        return len(self.matched) + len(self.register_only)

    def totals(self) -> _Table:
        """The summary table: each kind with its count."""
        by_reference = sum(m.by == "reference" for m in self.matched)
        return _Table(
            ("Detainers", "Count"),
            (
                ("On ICE's list", str(self.ice_total)),
                ("In the register", str(self.register_total)),
                (_MATCHED, str(len(self.matched))),
                ("Matched by reference (keyed hash)", str(by_reference)),
                ("Matched by date and district", str(len(self.matched) - by_reference)),
                (_ICE_ONLY, str(len(self.ice_only))),
                (_REGISTER_ONLY, str(len(self.register_only))),
            ),
        )

    def render(self, fmt: str) -> str:
        """The reconciliation section alone, as ``markdown`` or ``html``."""
        title = f"Boston Trust Act: detainers reconciled with ICE's list, {self.year}"
        section = self.section()
        return _markdown(title, [section]) if fmt == "markdown" else _html(title, [section], "")

    def section(self) -> _Section:
        """The annual report's section for this reconciliation."""
        months = {k: [0] * 12 for k in (_MATCHED, _ICE_ONLY, _REGISTER_ONLY)}
        for m in self.matched:
            months[_MATCHED][m.entry.lodged.month - 1] += 1
        for e in self.ice_only:
            months[_ICE_ONLY][e.lodged.month - 1] += 1
        for d in self.register_only:
            months[_REGISTER_ONLY][d.first.received_at.astimezone(BOSTON).month - 1] += 1
        chase = tuple(
            (e.lodged.isoformat(), e.district or "(none given)", str(e.line)) for e in self.ice_only
        )
        extra = tuple(
            (
                d.first.received_at.astimezone(BOSTON).date().isoformat(),
                d.first.district or "(not recorded)",
                d.form or "",
                d.received_via or "",
            )
            for d in self.register_only
        )
        return _Section(
            "Reconciliation with ICE's list of detainers lodged",
            (
                (
                    f"ICE's list names {self.ice_total} detainers lodged with the department in "
                    f"{self.year}; the register holds {self.register_total}. {len(self.matched)} "
                    f"match, {len(self.ice_only)} are on ICE's list but were never recorded "
                    "(listed below by date and district, to chase with the station), and "
                    f"{len(self.register_only)} were recorded but are not on ICE's list. "
                    "Entries are matched by the keyed hash of the reference first, then by "
                    "date and district."
                ),
            ),
            (
                self.totals(),
                _Table(("Date lodged", "District", "ICE list line"), chase),
                _Table(("Date received", "District", "Form", "Channel"), extra),
            ),
            svg=stacked_bars("Reconciliation with ICE's list by month", _MONTHS, months, _COLOURS),
        )


def _day(detainer: RegisteredDetainer) -> date:
    return detainer.first.received_at.astimezone(BOSTON).date()


def reconcile(
    entries: Sequence[IceEntry], register: Sequence[RegisteredDetainer], year: int
) -> Reconciliation:
    """Match ICE's entries for ``year`` against the register's detainers of ``year``."""
    ice = [e for e in entries if e.lodged.year == year]
    left = list(register)
    by_hash = {d.reference_hash: d for d in left}
    matched: list[Match] = []
    unmatched: list[IceEntry] = []
    for entry in ice:
        found = by_hash.pop(entry.reference_hash, None) if entry.reference_hash else None
        if found is not None:
            matched.append(Match(entry, found, "reference"))
            left.remove(found)
        else:
            unmatched.append(entry)
    ice_only = []
    for entry in unmatched:
        same = next(
            (
                d
                for d in left
                if _day(d) == entry.lodged and district_key(d.first.district) == entry.district
            ),
            None,
        )
        if same is None:
            ice_only.append(entry)
        else:
            matched.append(Match(entry, same, "date and district"))
            left.remove(same)
    return Reconciliation(year, tuple(matched), tuple(ice_only), tuple(left))


def reconcile_store(store: DecisionStore, entries: Sequence[IceEntry], year: int) -> Reconciliation:
    """Reconcile ICE's entries with the detainers ``store``'s register holds for ``year``."""
    since, until = datetime(year, 1, 1, tzinfo=BOSTON), datetime(year + 1, 1, 1, tzinfo=BOSTON)
    receipts = store.receipts(since=since, until=until)
    found = detainers(receipts, store.named_detainers(r.reference_hash for r in receipts))
    return reconcile(entries, found, year)
