"""Report injection (issue 15, finding 2): no logged value can forge the City Council report.

Any API client can put ``|``, line breaks, a markdown heading, HTML and a bidi override
into ``actor.district``. Here that exact request goes through a real agent (the config
``agent_config`` writes, the real policies and mask) and the real collector into the
markdown and HTML reports: the report gains no row, column, heading or markup, and a
malformed request leaves no free text in the store at all.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from city import Department, agent, build_city, decide, example, wait_for_count
from conftest import TEST_REGISTER_KEY
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.record._collector import Collector
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._report import BOSTON, annual_report

if TYPE_CHECKING:
    from collections.abc import Iterator

    from trustpolicy.record._store import DecisionStore

#: Module-scoped fixtures run outside the autouse monkeypatch: the key is passed.
KEY = RegisterKey.from_text(TEST_REGISTER_KEY, "test key")
ATTACK = "C-11 | 9 | 9 |\n\n# Forged section\n<script>alert(1)</script>\u202edlrow"
#: Within the schema (32 characters, no control or invisible characters): a well-formed
#: request carries it, and the report must still show it as text.
IN_SCHEMA = "|9|# <b>x</b>[y](z)*_w_*"
INVISIBLE = ("\u202e", "\u202d", "\u2066", "\u200b", "\ufeff", "\x00", "\x1b")
C11 = Department("district-c11")


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory, policies: Path) -> Iterator[DecisionStore]:
    """The attack, a schema-valid hostile district and a clean one, through a real agent."""
    folder = tmp_path_factory.mktemp("injection")
    city = build_city(folder, policies)
    attack = example("detain", "deny")
    attack["actor"]["district"] = ATTACK
    attack["actor"]["agency"] = "BPD | x |\n## Agency <img src=x onerror=alert(1)>"
    hostile = example("detain", "deny")
    hostile["actor"]["district"] = IN_SCHEMA
    clean = example("detain", "deny")
    clean["actor"]["district"] = "B-2"
    with (
        BundleServer({C11.name: C11.bundle_token}).start() as server,
        Collector(
            folder / "decisions.sqlite", {C11.name: C11.collector_token}, register_key=KEY
        ) as collector,
    ):
        server.publish(city.bundle)
        with agent(city, C11, server, collector, folder / "c11") as opa:
            outcomes = [decide(opa, data)["result"] for data in (attack, hostile, clean)]
            wait_for_count(collector.store, 3)
        assert [r["outcome"] for r in outcomes] == ["deny", "deny", "deny"]
        assert "TP-INPUT-01" in {v["rule"] for v in outcomes[0]["violations"]}
        assert "TP-INPUT-01" not in {v["rule"] for v in outcomes[1]["violations"]}
        yield collector.store


def _cells(line: str) -> list[str]:
    """The cells of a markdown table row, split on unescaped pipes only."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _assert_markdown_intact(report: str) -> None:
    lines = report.splitlines()
    headings = [line for line in lines if line.lstrip().startswith("#")]
    assert all(h.startswith(("# Boston Trust Act", "## ")) for h in headings), headings
    assert not any("Forged" in h or "Agency" in h for h in headings)
    width = 0
    for line in lines:
        if not line.startswith("|"):
            width = 0
            continue
        if not width:
            width = len(_cells(line))
        assert len(_cells(line)) == width, line
    assert "<script" not in report
    assert "<b>" not in report
    assert "<img" not in report
    assert "](" not in report.replace("\\](", "")
    for char in INVISIBLE:
        assert char not in report


def test_forged_rows_and_sections_never_reach_the_markdown_report(logged) -> None:
    report = annual_report(logged, datetime.now(BOSTON).year)
    _assert_markdown_intact(report)
    rows = {
        _cells(line)[0]
        for line in report.splitlines()[report.splitlines().index(
            "## Detainer requests by district and disposition"
        ):]
        if line.startswith("| ") and not line.startswith("| District")
    }  # fmt: skip
    assert "B-2" in rows
    assert r"\|9\|\# &lt;b&gt;x&lt;/b&gt;\[y\](z)\*\_w\_\*" in rows  # shown as text
    assert "(not recorded)" in rows  # the malformed request kept no district


def test_html_report_shows_every_logged_value_as_text(logged) -> None:
    page = annual_report(logged, datetime.now(BOSTON).year, format="html")
    assert "<script" not in page
    assert "<b>" not in page
    assert "<img" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    for char in INVISIBLE:
        assert char not in page


def test_malformed_request_leaves_no_free_text_in_the_store(logged) -> None:
    by_district = {d.input.get("actor", {}).get("district"): d for d in logged.decisions()}
    assert set(by_district) == {None, IN_SCHEMA, "B-2"}
    malformed = by_district[None]
    assert malformed.input["actor"] == {"role": "police_officer"}  # no agency, no district
    assert "TP-INPUT-01" in malformed.rules("violations")
    raw = b"".join(p.read_bytes() for p in Path(logged.path).parent.glob("decisions.sqlite*"))
    for fragment in ("Forged", "script", "onerror", "\u202e"):
        assert fragment.encode() not in raw


def test_values_an_unmasked_agent_sends_are_escaped_too(tmp_path) -> None:
    """A misconfigured agent's revision and rule ids are report cells like any other."""
    token = "unmasked-agent-" + "q" * 20
    event: dict[str, Any] = {
        "decision_id": "forged-revision-1",
        "path": "trustpolicy/decision",
        "timestamp": f"{datetime.now(BOSTON).year}-06-01T12:00:00Z",
        "input": example("detain", "deny"),
        "result": {
            "outcome": "deny",
            "violations": [{"rule": ATTACK}],
            "obligations": [{"rule": "BTA-RPT-01"}],
            "policy": {"revision": ATTACK},
        },
    }
    with Collector(tmp_path / "d.sqlite", {"unmasked": token}) as collector:
        answer = requests.post(
            f"{collector.url}/logs",
            data=gzip.compress(json.dumps([event]).encode()),
            headers={"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        report = annual_report(collector.store, datetime.now(BOSTON).year)
        page = annual_report(collector.store, datetime.now(BOSTON).year, format="html")
    _assert_markdown_intact(report)
    assert "C-11 \\| 9 \\| 9 \\| \\# Forged section &lt;script&gt;" in report
    assert "<script" not in page
    assert "\u202e" not in page
