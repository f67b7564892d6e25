"""The impact report: what a candidate bundle changes, as markdown, HTML (with a chart) or JSON.

Outcome counts before and after, the transitions between outcomes, then every changed
decision grouped by provision (rules gained and lost), district, action and month, and
listed one by one. Every value from the store is text that an agent sent: it is stripped
of control and invisible formatting characters and escaped for the format.
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from trustpolicy.record._impact import Impact, ReplayedDecision

__all__ = ["impact_report"]

_OUTCOMES = ("allow", "deny", "escalate")
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_STYLE = (
    "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
    "padding:.2em .5em;text-align:left}</style></head><body>"
)
_COLOURS = {"before": "#8a8f98", "after": "#1f5fa8", "changed": "#b3541e"}


def _plain(text: object) -> str:
    return _INVISIBLE.sub("", str(text))


def _cell(text: object) -> str:
    escaped = _MD_SPECIAL.sub(r"\\\1", _plain(text))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rules(rules: frozenset[str]) -> str:
    return ", ".join(sorted(rules)) or "-"


def _law(impact: Impact) -> str:
    if impact.as_of is None:
        return "each under the law in force on its own day (occurred_at, else when it was made)"
    return f"every decision under the law in force on {impact.as_of.date().isoformat()}"


def _summary(impact: Impact) -> list[str]:
    share = 100 * len(impact.changes) / impact.replayed if impact.replayed else 0.0
    malformed = sum(c.was_malformed for c in impact.changes)
    lines = [
        f"Candidate bundle: {impact.bundle} (revision {impact.revision or 'unknown'}).",
        f"Replayed {impact.replayed} of {impact.stored} stored decisions"
        + (f" of {impact.year}" if impact.year is not None else "")
        + f" ({impact.skipped} skipped: not the decision entry point, or no decision),"
        + f" {_law(impact)}.",
        f"Changed: {len(impact.changes)} ({share:.2f}%); unchanged: {impact.unchanged}.",
        f"Time: {impact.seconds:.1f} s ({impact.asked} distinct inputs asked of the engine).",
    ]
    if malformed:
        lines.append(
            f"{malformed} changed decision(s) were TP-INPUT-01 when stored: the log keeps only "
            "what the input schema allows, so a malformed value was dropped and cannot be replayed."
        )
    return lines


def _tables(impact: Impact) -> list[tuple[str, list[str], list[list[str]]]]:
    """Each table of the report: title, header, rows (plain text)."""
    outcomes = [o for o in _OUTCOMES if o in impact.before or o in impact.after]
    outcomes += sorted(set(impact.before) - set(_OUTCOMES))  # "None": no stored decision
    tables = [
        (
            "Outcomes before and after",
            ["outcome", "before", "after", "change"],
            [
                [
                    o,
                    str(b := impact.before.get(o, 0)),
                    str(a := impact.after.get(o, 0)),
                    f"{a - b:+d}",
                ]
                for o in outcomes
            ],
        ),
        (
            "Transitions",
            ["before → after", "decisions"],
            [[t, str(n)] for t, n in sorted(impact.transitions().items())],
        ),
        (
            "By provision",
            ["rule", "decisions that gain it", "decisions that lose it"],
            [[r, str(g), str(lo)] for r, (g, lo) in impact.by_provision().items()],
        ),
    ]
    for key, title in (("district", "By district"), ("action", "By action"), ("month", "By month")):
        rows = [
            [group, str(sum(c.values())), "; ".join(f"{t}: {n}" for t, n in sorted(c.items()))]
            for group, c in impact.by(key).items()
        ]
        tables.append((title, [key, "changed", "transitions"], rows))
    tables.append(
        (
            "Every changed decision",
            ["decision", "month", "district", "action", "before", "after", "gained", "lost"],
            [_change_row(c) for c in impact.changes],
        )
    )
    return tables


def _change_row(change: ReplayedDecision) -> list[str]:
    return [
        change.decision_id,
        change.month,
        change.district or "(not given)",
        change.action or "(not given)",
        change.before or "none",
        change.after,
        _rules(change.gained),
        _rules(change.lost),
    ]


def _markdown(impact: Impact, title: str) -> str:
    out = [f"# {_cell(title)}", "", *(f"- {_cell(line)}" for line in _summary(impact))]
    for name, header, rows in _tables(impact):
        out += ["", f"## {_cell(name)}", ""]
        if not rows:
            out.append("None.")
            continue
        out.append("| " + " | ".join(_cell(h) for h in header) + " |")
        out.append("|" + "---|" * len(header))
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def _bars(groups: Sequence[tuple[str, Sequence[tuple[str, int]]]], caption: str) -> str:
    """An SVG bar chart: one group of bars per label, one bar per series."""
    width, height, pad = 640, 220, 30
    most = max([n for _, series in groups for _, n in series] + [1])
    slot = (width - 2 * pad) / max(len(groups), 1)
    bar = min(28.0, slot / (max(len(s) for _, s in groups) + 1)) if groups else 0.0
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" '
            f'role="img" aria-label="{html.escape(caption)}">'
        ),
        f"<title>{html.escape(caption)}</title>",
    ]
    for i, (label, series) in enumerate(groups):
        x0 = pad + i * slot
        for j, (name, n) in enumerate(series):
            h = (height - pad) * n / most
            x = x0 + j * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                f'fill="{_COLOURS.get(name, "#555")}"><title>{html.escape(f"{label} {name}: {n}")}'
                "</title></rect>"
            )
            parts.append(
                f'<text x="{x + bar / 2 - 1:.1f}" y="{height - h - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{n}</text>'
            )
        parts.append(
            f'<text x="{x0 + bar * len(series) / 2:.1f}" y="{height + 14}" font-size="11" '
            f'text-anchor="middle">{html.escape(_plain(label))}</text>'
        )
    legend = sorted({name for _, series in groups for name, _ in series})
    for k, name in enumerate(legend):
        parts.append(
            f'<rect x="{pad + k * 90}" y="{height + 24}" width="10" height="10" '
            f'fill="{_COLOURS.get(name, "#555")}"/><text x="{pad + k * 90 + 14}" '
            f'y="{height + 33}" font-size="11">{html.escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _html(impact: Impact, title: str) -> str:
    outcomes = [o for o in _OUTCOMES if o in impact.before or o in impact.after]
    chart = _bars(
        [
            (o, [("before", impact.before.get(o, 0)), ("after", impact.after.get(o, 0))])
            for o in outcomes
        ],
        "Outcomes before and after",
    )
    months = impact.by("month")
    month_chart = _bars(
        [(m, [("changed", sum(c.values()))]) for m, c in months.items()],
        "Changed decisions by month",
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(_plain(title))}</title>",
        _STYLE,
        f"<h1>{html.escape(_plain(title))}</h1>",
        *(f"<p>{html.escape(_plain(line))}</p>" for line in _summary(impact)),
        f"<figure>{chart}<figcaption>Outcomes before and after</figcaption></figure>",
    ]
    if months:
        out.append(
            f"<figure>{month_chart}<figcaption>Changed decisions by month</figcaption></figure>"
        )
    for name, header, rows in _tables(impact):
        out.append(f"<h2>{html.escape(name)}</h2>")
        if not rows:
            out.append("<p>None.</p>")
            continue
        out.append("<table><thead><tr>")
        out += [f"<th>{html.escape(h)}</th>" for h in header]
        out.append("</tr></thead><tbody>")
        for row in rows:
            out.append(
                "<tr>" + "".join(f"<td>{html.escape(_plain(c))}</td>" for c in row) + "</tr>"
            )
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _json(impact: Impact) -> str:
    doc: dict[str, Any] = {
        "bundle": impact.bundle,
        "revision": impact.revision,
        "as_of": None if impact.as_of is None else impact.as_of.isoformat(),
        "year": impact.year,
        "stored": impact.stored,
        "replayed": impact.replayed,
        "skipped": impact.skipped,
        "unchanged": impact.unchanged,
        "seconds": round(impact.seconds, 3),
        "asked": impact.asked,
        "before": dict(impact.before),
        "after": dict(impact.after),
        "transitions": dict(impact.transitions()),
        "by_provision": {
            r: {"gained": g, "lost": lo} for r, (g, lo) in impact.by_provision().items()
        },
        "by_district": {k: dict(v) for k, v in impact.by("district").items()},
        "by_action": {k: dict(v) for k, v in impact.by("action").items()},
        "by_month": {k: dict(v) for k, v in impact.by("month").items()},
        "changes": [
            {
                "decision_id": c.decision_id,
                "timestamp": c.timestamp.isoformat(),
                "district": c.district,
                "action": c.action,
                "before": c.before,
                "after": c.after,
                "gained": sorted(c.gained),
                "lost": sorted(c.lost),
                "was_malformed": c.was_malformed,
            }
            for c in impact.changes
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def impact_report(impact: Impact, fmt: str = "markdown", *, title: str | None = None) -> str:
    """Render ``impact`` as ``markdown``, ``html`` or ``json``."""
    title = title or "Impact of a candidate policy bundle on stored Trust Act decisions"
    if fmt == "markdown":
        return _markdown(impact, title)
    if fmt == "html":
        return _html(impact, title)
    if fmt == "json":
        return _json(impact)
    raise ValueError(f"unknown report format {fmt!r} (markdown, html or json)")
