"""The annual report read as a person reads it: HTML in headless Chromium, the PDF as pages.

The report is written by ``trustpolicy report`` from a register seeded through the intake
command, with reimbursements and a reconciliation against ICE's list. The HTML is loaded
in a real Chromium (DOM text and layout measured in the page, and a screenshot); the PDF
made by WeasyPrint is turned into page images by pdftoppm and into text by pdftotext.
A missing browser or renderer fails these tests: ``scripts/setup-tools.sh`` installs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from conftest import ROOT, TEST_REGISTER_KEY

if TYPE_CHECKING:
    from pathlib import Path

DISTRICTS = ("A-1", "B-2", "C-11", "D-4", "E-13")
BASES = ("biometric_records_match", "final_order_of_removal;statements_or_evidence", "")
# One measuring script, added to a copy of the page only (the report itself has no script).
PROBE = """<script>
addEventListener("load", () => {
  const body = document.body.getBoundingClientRect();
  const outside = [...document.querySelectorAll("table, svg, p, h1, h2, td, th")]
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.right > body.right + 1 || r.left < body.left - 1; })
    .map(e => e.tagName + ":" + e.textContent.slice(0, 30));
  const clipped = [...document.querySelectorAll("td, th")]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 30));
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
    outside: outside, clipped: clipped, svgs: document.querySelectorAll("svg").length,
    text: document.body.innerText});
  document.body.appendChild(probe);
});
</script>"""


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:  # pragma: no cover - the failure is the point
        pytest.fail(f"{name} is required (scripts/setup-tools.sh installs it)")
    return found


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    env["TRUSTPOLICY_REGISTER_KEY"] = TEST_REGISTER_KEY
    proc = subprocess.run(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A year of 36 detainers (6 arriving twice), payments and ICE's list of 40, reported."""
    out = tmp_path_factory.mktemp("rendered")
    rows = ["received_at,district,form,basis,received_via,reference"]
    for i in range(36):
        month, day = i % 12 + 1, i % 27 + 1
        via = "fax" if i % 3 else "email"
        rows.append(f"2026-{month:02d}-{day:02d} 09:{i:02d},{DISTRICTS[i % 5]},I-247A,"
                    f"{BASES[i % 3]},{via},ICE-26-{i:04d}")  # fmt: skip
    rows += [r.replace(" 09:", " 15:").replace(",email,", ",fax,") for r in rows[1:7]]
    (out / "fax.csv").write_text("\n".join(rows) + "\n")
    ice = ["date,facility,reference"]
    ice += [f"2026-{i % 12 + 1:02d}-{i % 27 + 1:02d},BPD District {DISTRICTS[i % 5]},"
            f"ICE-26-{i:04d}" for i in range(30)]  # fmt: skip
    ice += [f"2026-06-{d:02d},BPD District C-11,ICE-26-9{d:03d}" for d in range(1, 11)]
    (out / "ice.csv").write_text("\n".join(ice) + "\n")
    (out / "finance.csv").write_text(
        "case,date,amount,program,description\n"
        'SCAAP-FY26-0117,2026-04-30,"$48,212.50",SCAAP,State Criminal Alien Assistance\n'
        "JAG-2026-044,2026-09-15,1200,JAG,\n"
    )
    db = out / "store" / "decisions.sqlite"
    cli("detainer", "import", "--db", db, "--source", "fax-log", out / "fax.csv")
    paths = {"html": out / "report.html", "pdf": out / "report.pdf", "md": out / "report.md"}
    for fmt, path in (("html", paths["html"]), ("pdf", paths["pdf"]), ("markdown", paths["md"])):
        cli("report", "--year", "2026", "--format", fmt, "--db", db, "--out", path,
            "--reimbursements", out / "finance.csv", "--ice-list", out / "ice.csv")  # fmt: skip
    return {**paths, "out": out}


def test_html_in_chromium_shows_every_figure_and_nothing_overflows(
    written: dict[str, Path],
) -> None:
    chromium = tool("chromium")
    probe = written["out"] / "probe.html"
    probe.write_text(written["html"].read_text().replace("</body>", PROBE + "</body>"))
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [*common, "--window-size=1100,900", "--virtual-time-budget=5000", "--dump-dom",
         probe.as_uri()], capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, "the page did not load in Chromium"
    page = json.loads(found[1].replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<"))
    assert page["scrollWidth"] <= page["innerWidth"]
    assert page["outside"] == []
    assert page["clipped"] == []
    assert page["svgs"] == 3  # requests by channel, reconciliation, immigration requests
    text = page["text"]
    assert "36 detainer requests were received in 2026" in text
    assert "(42 receipts: 6 requests arrived more than once" in text
    assert "ICE's list names 40 detainers" in text
    assert "the register holds 36. 30 match, 10 are on ICE's list but were never recorded" in text
    assert "$49,412.50" in text
    assert "SCAAP-FY26-0117" in text
    assert text.count("Not acted upon per the Boston Trust Act") >= 36
    shot = written["out"] / "report.png"
    subprocess.run(
        [*common, "--window-size=1100,2600", f"--screenshot={shot}", written["html"].as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


def _pgm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the grey pixels of a binary PGM (pdftoppm -gray)."""
    data = path.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert (magic, depth) == (b"P5", b"255")
    return int(width), int(height), pixels


def test_pdf_pages_hold_the_figures_and_keep_inside_the_margins(
    written: dict[str, Path],
) -> None:
    pdftotext, pdftoppm = tool("pdftotext"), tool("pdftoppm")
    pdf = written["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        [pdftotext, "-layout", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    pages = text.count("\f")
    assert f"Page 1 of {pages}" in flat
    assert "36 detainer requests were received in 2026" in flat
    assert "ICE's list names 40 detainers" in flat
    assert "$48,212.50" in flat
    assert "$49,412.50" in flat
    assert re.search(r"On ICE's list, never recorded\s+10", text)
    assert len(re.findall(r"Not acted upon per the Boston Trust Act", flat)) >= 36
    prefix = written["out"] / "page"
    subprocess.run([pdftoppm, "-r", "72", "-gray", pdf, prefix], check=True, timeout=120)
    subprocess.run([pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "2", pdf, prefix], check=True)
    images = sorted(written["out"].glob("page-*.pgm"))
    assert len(images) == pages
    margin = int(1.8 / 2.54 * 72) - 4  # the side margins, less a little anti-aliasing
    for image in images:
        width, height, pixels = _pgm(image)
        assert (width, height) == (612, 792)  # US Letter at 72 dpi
        rows = [pixels[y * width : (y + 1) * width] for y in range(height)]
        ink = [
            (x, y)
            for y, row in enumerate(rows)
            for x in (*range(margin), *range(width - margin, width))
            if row[x] < 200
        ]
        assert ink == [], f"{image.name}: ink in the side margins at {ink[:5]}"
    assert sorted(p.name for p in written["out"].glob("page-*.png")) == ["page-1.png", "page-2.png"]


def test_markdown_has_the_section_3_sections_in_order(written: dict[str, Path]) -> None:
    titles = re.findall(r"^## (.+)$", written["md"].read_text(), re.MULTILINE)
    assert titles[:7] == [
        "Scope",
        "Detainer requests lodged, by reason given",
        "People detained on a detainer, by reason given",
        "People transferred to immigration authorities",
        "Federal reimbursements",
        "Detainer requests received, one by one",
        "Reconciliation with ICE's list of detainers lodged",
    ]
