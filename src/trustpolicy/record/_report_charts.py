"""Bar charts for the annual report, as inline SVG: no script, no fonts or files to fetch.

Every figure a chart shows is also in a table beside it; each bar carries a ``<title>``
with its label and count, so the chart reads in a screen reader and in a PDF alike.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__: list[str] = []

#: Colours for series without a colour of their own (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#999999")
_WIDTH = 660
_PLOT = 200
_SHORT = 12  # the longest category label shown whole


def stacked_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[int]],
    colours: Mapping[str, str] | None = None,
) -> str:
    """Stacked vertical bars: one bar per category, one colour per series, with a legend."""
    names = [name for name, values in series.items() if any(values)] or list(series)
    colour = {n: (colours or {}).get(n) or PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    totals = [sum(series[n][i] for n in names) for i in range(len(categories))]
    top = max([*totals, 1])
    left, base = 40, 40 + _PLOT
    step = (_WIDTH - left - 10) / max(len(categories), 1)
    bar = min(34.0, step * 0.7)
    legend_rows = (len(names) + 1) // 2
    height = base + 36 + 18 * legend_rows
    label = html.escape(title)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
            f'viewBox="0 0 {_WIDTH} {height}" role="img" aria-label="{label}" class="chart">'
        ),
        f"<title>{label}</title>",
        f'<line x1="{left}" y1="{base}" x2="{_WIDTH - 10}" y2="{base}" stroke="#333"/>',
        (
            f'<text x="{left - 6}" y="{base - _PLOT + 4}" text-anchor="end" font-size="11">'
            f"{top}</text>"
        ),
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end" font-size="11">0</text>',
    ]
    scale = _PLOT / top
    for i, category in enumerate(categories):
        x = left + i * step + (step - bar) / 2
        y = float(base)
        for name in names:
            n = series[name][i]
            if n:
                y -= n * scale
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{n * scale:.1f}" '
                    f'fill="{colour[name]}"><title>{html.escape(category)}: {n} '
                    f"{html.escape(name)}</title></rect>"
                )
        short = category if len(category) <= _SHORT else category[: _SHORT - 1] + "\u2026"
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="11">'
            f"{html.escape(short)}</text>"
        )
        if totals[i]:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="11">{totals[i]}</text>'
            )
    for i, name in enumerate(names):
        x, y = left + (i % 2) * 310, base + 30 + (i // 2) * 18
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour[name]}"/>')
        parts.append(
            f'<text x="{x + 16}" y="{y + 10}" font-size="12">{html.escape(name[:48])}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
