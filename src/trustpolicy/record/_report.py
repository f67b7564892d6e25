"""The Trust Act's Section 3 annual report to the City Council, from stored decision logs.

Every figure is counted from the collector's store (:class:`DecisionStore`), never from a
separate tally, so the report shows exactly what the policy engine was asked and answered.
Months and years are Boston local time.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import attrs

from trustpolicy.contract._errors import ConfigError
from trustpolicy.record._report_charts import stacked_bars

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from trustpolicy.record._reconcile import Reconciliation
    from trustpolicy.record._reimbursements import Reimbursement
    from trustpolicy.record._store import DecisionStore, LoggedDecision

__all__ = ["annual_report", "disposition"]

BOSTON = ZoneInfo("America/New_York")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMMIGRATION = frozenset({"ICE-ERO", "ICE-HSI", "CBP", "USCIS"})
_OUTCOMES = ("allow", "deny", "escalate", "no decision")
_COLOURS = {"allow": "#2e7d32", "deny": "#c62828", "escalate": "#f9a825", "no decision": "#757575"}
_NO_DISTRICT = "(not recorded)"
_FIXED = {  # (action, outcome) -> disposition; see _DEFINITIONS
    ("receive_detainer", "allow"): "Received and recorded",
    ("detain", "deny"): "Hold refused",
    ("transfer_custody", "deny"): "Transfer refused",
    ("share_information", "deny"): "Information withheld",
    ("share_information", "allow"): "Information shared under an exception",
}
_HELD = "Held on a judicial warrant or order"
_TRANSFERRED = "Transferred on a judicial warrant or order"
_DISPOSITIONS = (
    "Received and recorded",
    "Hold refused",
    _HELD,
    "Held on criminal grounds (not yet eligible for release)",
    "Transfer refused",
    _TRANSFERRED,
    "Information withheld",
    "Information shared under an exception",
    "Referred for legal review",
    "No decision (engine error)",
)
_DEFINITIONS = (
    (
        "A **detainer request** is a logged decision that carries the BTA-RPT-01 reporting "
        "obligation or whose input lists a civil detainer among the documents presented. The "
        "same detainer can be the subject of more than one decision (received, then a hold "
        "asked for); each decision is counted, with its own disposition."
    ),
    (
        "The **disposition** is read from the decision's action and outcome: *Received and "
        "recorded* (receive_detainer); *Hold refused* (detain, denied: BTA-DET-01 / Lunn); "
        f"*{_HELD}* (detain, allowed under an exception such as EXC-JUDICIAL-WARRANT); *Held on "
        "criminal grounds* (detain, allowed without an exception: the person was not yet "
        f"eligible for release); *Transfer refused* / *{_TRANSFERRED}* (transfer_custody); "
        "*Information withheld* / *Information shared under an exception* (share_information); "
        "*Referred for legal review* (outcome escalate); *No decision* (the engine returned an "
        "error, which never counts as an allow)."
    ),
    (
        "A **request from an immigration authority** is a decision whose counterpart is "
        "ICE-ERO, ICE-HSI, CBP or USCIS, or forwards to one of them."
    ),
    "Dates are the time the engine decided, in Boston local time.",
)
# Control characters become spaces (a newline would end a table row); bidi overrides and
# isolates, zero-width characters and other invisible formatting are removed.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]+")
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
#: Characters markdown would read as syntax inside a table cell (``|`` ends the cell).
_MARKDOWN = frozenset("\\`*[]#|~")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_REIMBURSEMENT = (
    "Federal reimbursements are not reported here: payments are not part of any "
    "decision the policy engine makes, so they are not in the decision logs. The figure "
    "must come from the City's financial records; this report does not estimate it."
)


@attrs.frozen
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@attrs.frozen
class _Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[_Table, ...] = ()
    chart: bool = False
    svg: str = ""  # a chart of this section's own (HTML only)


def _outcome(d: LoggedDecision) -> str:
    return d.outcome or "no decision"


def disposition(d: LoggedDecision) -> str:
    """Name what became of the request a decision answered (see the report's definitions)."""
    action, outcome = str(d.input.get("action")), d.outcome
    if outcome is None:
        return "No decision (engine error)"
    if outcome == "escalate":
        return "Referred for legal review"
    if (action, outcome) in _FIXED:
        return _FIXED[action, outcome]
    if action == "detain" and outcome == "allow":
        exceptions = d.rules("exceptions")
        return _HELD if exceptions else "Held on criminal grounds (not yet eligible for release)"
    if action == "transfer_custody" and outcome == "allow":
        return _TRANSFERRED
    return f"Other: {action or 'unknown action'}, {outcome}"


def _is_detainer(d: LoggedDecision) -> bool:
    authority = d.input.get("authority", [])
    return "BTA-RPT-01" in d.rules("obligations") or any(
        a.get("type") == "civil_detainer" for a in authority
    )


def _from_immigration(d: LoggedDecision) -> bool:
    counterpart = d.input.get("counterpart", {})
    agencies = {counterpart.get("agency"), *counterpart.get("forwards_to", [])}
    return bool(agencies & _IMMIGRATION)


def _month(d: LoggedDecision) -> int:
    return d.timestamp.astimezone(BOSTON).month


def _ordered(found: Iterable[str], known: Sequence[str]) -> list[str]:
    present = set(found)
    return [k for k in known if k in present] + sorted(present - set(known))


def _grid(
    items: Sequence[LoggedDecision],
    label: str,
    rows: Sequence[str],
    cols: Sequence[str],
    key: tuple[Callable[[LoggedDecision], str], Callable[[LoggedDecision], str]],
) -> _Table:
    """Count ``items`` into a rows x cols table with totals; ``key`` = (row of, column of)."""
    counts = Counter((key[0](d), key[1](d)) for d in items)
    body = [
        (r, *(str(counts[r, c]) for c in cols), str(sum(counts[r, c] for c in cols))) for r in rows
    ]
    totals = ("Total", *(str(sum(counts[r, c] for r in rows)) for c in cols), str(len(items)))
    return _Table((label, *cols, "Total"), (*body, totals))


def _sections(decisions: Sequence[LoggedDecision], year: int) -> list[_Section]:
    detainers = [d for d in decisions if _is_detainer(d)]
    immigration = [d for d in decisions if _from_immigration(d)]
    dispositions = _ordered((disposition(d) for d in detainers), _DISPOSITIONS)

    def district(d: LoggedDecision) -> str:
        return str(d.input.get("actor", {}).get("district") or _NO_DISTRICT)

    def month(d: LoggedDecision) -> str:
        return _MONTHS[_month(d) - 1]

    def action(d: LoggedDecision) -> str:
        return str(d.input.get("action", "unknown"))

    districts = sorted({district(d) for d in detainers} - {_NO_DISTRICT})
    districts += [_NO_DISTRICT] if any(district(d) == _NO_DISTRICT for d in detainers) else []
    held = sum(disposition(d) == _HELD for d in detainers)
    moved = sum(disposition(d) == _TRANSFERRED for d in detainers)
    escalated = [d for d in decisions if d.rules("escalations")]
    return [
        _Section(
            "Scope",
            (
                (
                    f"Calendar year {year}, Boston local time. {len(decisions)} decisions were "
                    f"logged; {len(detainers)} concern a civil detainer request and "
                    f"{len(immigration)} answer a request from an immigration authority."
                ),
                *_DEFINITIONS,
            ),
        ),
        _Section(
            "Detainer requests by month and disposition",
            tables=(_grid(detainers, "Month", _MONTHS, dispositions, (month, disposition)),),
        ),
        _Section(
            "Detainer requests by district and disposition",
            tables=(
                _grid(detainers, "District", districts, dispositions, (district, disposition)),
            ),
        ),
        _Section(
            "People detained and transferred on a detainer",
            (
                (
                    "Under BTA-DET-01 and Lunn v. Commonwealth nobody may be held on a civil "
                    "detainer alone; a hold or transfer below is one the engine allowed on a "
                    "judicial warrant or order."
                ),
            ),
            (_Table(("Disposition", "People"), ((_HELD, str(held)), (_TRANSFERRED, str(moved)))),),
        ),
        _Section(
            "Requests from immigration authorities by action and outcome",
            tables=(
                _grid(
                    immigration,
                    "Action",
                    _ordered(map(action, immigration), ()),
                    _OUTCOMES,
                    (action, _outcome),
                ),
            ),
            chart=True,
        ),
        _Section(
            "Requests from immigration authorities by provision",
            ("Decisions in which each provision was found violated, lifted or escalated.",),
            (_provisions(immigration),),
        ),
        _Section(
            "Escalations for legal review",
            (f"{len(escalated)} decisions were escalated for legal review.",),
            (_escalations(escalated),),
        ),
        _Section("Policy revisions in force", tables=(_revisions(decisions),)),
    ]


def _provisions(items: Sequence[LoggedDecision]) -> _Table:
    kinds = (
        ("violations", "Violated"),
        ("exceptions", "Exception applied"),
        ("escalations", "Escalated"),
    )
    counts: Counter[tuple[str, str]] = Counter()
    for d in items:
        for kind, _ in kinds:
            for rule in set(d.rules(kind)):
                counts[rule, kind] += 1
    rules = sorted({rule for rule, _ in counts})
    rows = tuple((r, *(str(counts[r, k]) for k, _ in kinds)) for r in rules)
    return _Table(("Provision", *(name for _, name in kinds)), rows)


def _escalations(items: Sequence[LoggedDecision]) -> _Table:
    counts = Counter(
        (rule, str(d.input.get("action")), _outcome(d))
        for d in items
        for rule in set(d.rules("escalations"))
    )
    rows = tuple((*key, str(n)) for key, n in sorted(counts.items()))
    return _Table(("Provision", "Action", "Outcome", "Decisions"), rows)


def _revisions(items: Sequence[LoggedDecision]) -> _Table:
    seen: dict[str, list[datetime]] = {}
    for d in items:
        seen.setdefault(d.revision or "(none)", []).append(d.timestamp.astimezone(BOSTON))
    rows = tuple(
        (rev, min(ts).date().isoformat(), max(ts).date().isoformat(), str(len(ts)))
        for rev, ts in sorted(seen.items(), key=lambda item: min(item[1]))
    )
    return _Table(("Revision", "First decision", "Last decision", "Decisions"), rows)


def _plain(text: str) -> str:
    """``text`` on one line with no control, bidi-override or invisible characters."""
    return _INVISIBLE.sub("", _BREAKS.sub(" ", text)).strip()


def _md_cell(text: str) -> str:
    """One markdown table cell that can only ever read as its own text.

    A logged value (a district, a revision, a rule id) must never add a row, a column, a
    heading, a link or HTML to the report: line breaks and invisible characters go (see
    :func:`_plain`), markdown syntax is backslash-escaped and ``<``, ``>``, ``&`` become
    entities.
    """
    text = _plain(text)
    out = []
    for i, char in enumerate(text):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _MARKDOWN or (char == "_" and not _intraword(text, i)):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _intraword(text: str, i: int) -> bool:
    """Whether ``text[i]`` sits between two letters or digits (``_`` is no emphasis there)."""
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def _markdown(title: str, sections: Sequence[_Section]) -> str:
    out = [f"# {title}", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            out += [paragraph, ""]
        for table in section.tables:
            out.append("| " + " | ".join(map(_md_cell, table.header)) + " |")
            numeric = [
                all(row[i].isdigit() for row in table.rows) for i in range(len(table.header))
            ]
            out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
            out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
            out.append("")
    return "\n".join(out)


def _inline_markdown(text: str) -> str:
    """Escape ``text`` for HTML, turning **bold** and *italic* into tags."""
    parts = html.escape(text).split("**")
    text = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("*")
    return "".join(f"<em>{p}</em>" if i % 2 else p for i, p in enumerate(parts))


def _html(title: str, sections: Sequence[_Section], chart: str) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        (
            "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}"
            "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;"
            "padding:.2em .6em}td+td,th+th{text-align:right}</style></head><body>"
        ),
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        out.append(f"<h2>{html.escape(section.title)}</h2>")
        out += [f"<p>{_inline_markdown(p)}</p>" for p in section.paragraphs]
        if section.chart:
            out.append(chart)
        if section.svg:
            out.append(section.svg)
        for table in section.tables:
            out.append("<table><thead><tr>")
            out += [f"<th>{html.escape(_plain(h))}</th>" for h in table.header]
            out.append("</tr></thead><tbody>")
            for row in table.rows:
                cells = "".join(f"<td>{html.escape(_plain(c))}</td>" for c in row)
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _chart(items: Sequence[LoggedDecision]) -> str:
    """Stacked bars of requests by month and outcome, as inline SVG (no script, no assets)."""
    counts = Counter((_month(d), _outcome(d)) for d in items)
    series = {o: [counts[m, o] for m in range(1, 13)] for o in _OUTCOMES}
    title = "Requests from immigration authorities by month and outcome"
    return stacked_bars(title, _MONTHS, series, _COLOURS)


def annual_report(
    store: DecisionStore,
    year: int,
    format: Literal["markdown", "html"] = "markdown",  # noqa: A002
    *,
    reimbursements: Sequence[Reimbursement] | None = None,
    reconciliation: Reconciliation | None = None,
) -> str:
    """Write the Section 3 report for ``year`` (Boston time) from the decisions in ``store``.

    The register's detainers received in ``year`` give the Section 3 figures; the City's
    finance records (``reimbursements``) the payments, else the report says they were not
    supplied; a ``reconciliation`` against ICE's list adds its section.
    """
    from trustpolicy.record._register import detainers  # noqa: PLC0415 - they import this
    from trustpolicy.record._report_register import register_sections  # noqa: PLC0415

    if format not in ("markdown", "html"):
        raise ConfigError(f"report format must be 'markdown' or 'html', not {format!r}")
    since = datetime(year, 1, 1, tzinfo=BOSTON)
    until = datetime(year + 1, 1, 1, tzinfo=BOSTON)
    decisions = store.decisions(since=since, until=until)
    receipts = store.receipts(since=since, until=until)
    register = detainers(receipts, store.named_detainers(r.reference_hash for r in receipts))
    title = f"Boston Trust Act: annual report to the City Council, {year}"
    sections = _sections(decisions, year)
    added = register_sections(register, year, reimbursements)
    if reconciliation is not None:
        added.append(reconciliation.section())
    sections[1:1] = added
    if format == "markdown":
        return _markdown(title, sections)
    return _html(title, sections, _chart([d for d in decisions if _from_immigration(d)]))
