"""The annual report as a PDF, rendered from its HTML by WeasyPrint (the report is filed).

The HTML is self-contained (inline SVG charts, no scripts, no links), and the renderer is
given a URL fetcher that refuses everything, so rendering reads no file and no network
whatever a logged value says. A print stylesheet sets US Letter pages with numbered
footers and keeps wide tables and charts inside the margins.
"""

from __future__ import annotations

from typing import Any, NoReturn

from trustpolicy.contract._errors import ConfigError

__all__ = ["render_pdf"]

_PRINT_CSS = """
@page {
  size: Letter;
  margin: 2cm 1.8cm 2.2cm 1.8cm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; }
}
body { max-width: none; margin: 0; font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; }
h1 { font-size: 16pt; }
h2 { font-size: 12pt; break-after: avoid; margin-top: 1.4em; }
table { max-width: 100%; font-size: 8.5pt; }
tr { break-inside: avoid; }
th, td { overflow-wrap: break-word; }
svg { max-width: 100%; height: auto; }
"""


def _refuse(url: str, *_args: Any, **_kwargs: Any) -> NoReturn:
    raise ValueError(f"the report fetches nothing ({url[:40]})")


def render_pdf(html_text: str) -> bytes:
    """Render the report's HTML to PDF bytes."""
    try:
        import weasyprint  # noqa: PLC0415 - only the PDF needs it (and its system libraries)
    except (ImportError, OSError) as exc:
        raise ConfigError(
            "a PDF report needs WeasyPrint and its Pango libraries "
            f"(pip install 'trustpolicy[pdf]'): {exc}"
        ) from exc
    document = weasyprint.HTML(string=html_text, url_fetcher=_refuse)
    pdf = document.write_pdf(stylesheets=[weasyprint.CSS(string=_PRINT_CSS)])
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf() without a target
        raise ConfigError("WeasyPrint returned no PDF")
    return pdf
