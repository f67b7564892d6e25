"""The Section 3 annual report, counted from decisions real OPA agents logged to the collector."""

from __future__ import annotations

import gzip
import json
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import requests

from conftest import BACKENDS, TEST_REGISTER_KEY, WORKED_EXAMPLES, new_store_url, store_env
from trustpolicy import ConfigError, policies_dir
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._collector import Collector
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._report import BOSTON, annual_report

if TYPE_CHECKING:
    from collections.abc import Iterator

    from trustpolicy.record._store import DecisionStore

TOKEN = "report-agent-" + "z" * 24
EXAMPLES = [e["input"] for e in json.loads(WORKED_EXAMPLES.read_text())]
RECEIVED_A1 = {
    "action": "receive_detainer",
    "actor": {"agency": "BPD", "role": "police_officer", "district": "A-1"},
    "counterpart": {"agency": "ICE-ERO"},
    "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
}
RECEIVED_NO_DISTRICT = {**RECEIVED_A1, "actor": {"agency": "BPD", "role": "police_officer"}}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tables(report: str) -> dict[str, list[list[str]]]:
    """Each markdown table of the report (header row first), by its section title."""
    out: dict[str, list[list[str]]] = {}
    title = ""
    for line in report.splitlines():
        if line.startswith("## "):
            title = line[3:]
        elif line.startswith("|") and not line.startswith("|---"):
            out.setdefault(title, []).append([c.strip() for c in line.strip("|").split("|")])
    return out


def month_table(counts: dict[str, list[int]], header: list[str]) -> list[list[str]]:
    zero = [0] * (len(header) - 2)
    rows = [[m, *map(str, counts.get(m, zero)), str(sum(counts.get(m, zero)))] for m in MONTHS]
    totals = [sum(c[i] for c in counts.values()) for i in range(len(zero))]
    return [header, *rows, ["Total", *map(str, totals), str(sum(totals))]]


@pytest.fixture(scope="module", params=BACKENDS)
def logged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DecisionStore, str]]:
    """The 12 worked examples and two more detainers, decided by OPA and logged (each backend)."""
    db = new_store_url(request.param, tmp_path_factory.mktemp("report"), request)
    inputs = [*EXAMPLES, RECEIVED_A1, RECEIVED_NO_DISTRICT]
    key = RegisterKey.from_text(TEST_REGISTER_KEY, "test key")  # module scope: no monkeypatch
    with store_env(request), Collector(db, {"agent": TOKEN}, register_key=key) as collector:
        config = {
            "services": {
                "collector": {"url": collector.url, "credentials": {"bearer": {"token": TOKEN}}}
            },
            "decision_logs": {
                "service": "collector",
                "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
            },
        }
        with LocalOPA(policies=policies_dir(), config=config) as opa:
            for data in inputs:
                url = f"{opa.url}/v1/data/trustpolicy/decision"
                requests.post(url, json={"input": data}, timeout=10).raise_for_status()
            deadline = time.monotonic() + 15
            while collector.store.count() < len(inputs) and time.monotonic() < deadline:
                time.sleep(0.05)
        assert collector.store.count() == len(inputs)
        (revision,) = {d.revision or "(none)" for d in collector.store.decisions()}
        yield collector.store, revision


def test_report_over_worked_examples_has_exact_tables(logged: tuple[DecisionStore, str]) -> None:
    store, revision = logged
    now = datetime.now(BOSTON)
    month = MONTHS[store.decisions()[0].timestamp.astimezone(BOSTON).month - 1]
    got = tables(annual_report(store, now.year))
    disp = ["Received and recorded", "Hold refused", "Held on a judicial warrant or order"]
    assert got["Detainer requests by month and disposition"] == month_table(
        {month: [3, 1, 1]}, ["Month", *disp, "Total"]
    )
    assert got["Detainer requests by district and disposition"] == [
        ["District", *disp, "Total"],
        ["A-1", "1", "0", "0", "1"],
        ["C-11", "1", "0", "0", "1"],
        ["D-4", "0", "1", "1", "2"],
        ["(not recorded)", "1", "0", "0", "1"],
        ["Total", "3", "1", "1", "5"],
    ]
    assert got["People detained and transferred on a detainer"] == [
        ["Disposition", "People"],
        ["Held on a judicial warrant or order", "1"],
        ["Transferred on a judicial warrant or order", "0"],
    ]
    assert got["Requests from immigration authorities by action and outcome"] == [
        ["Action", "allow", "deny", "escalate", "no decision", "Total"],
        ["commit_resources", "0", "1", "0", "0", "1"],
        ["detain", "1", "1", "0", "0", "2"],
        ["perform_immigration_function", "0", "1", "0", "0", "1"],
        ["receive_detainer", "3", "0", "0", "0", "3"],
        ["share_information", "1", "3", "1", "0", "5"],
        ["Total", "5", "6", "1", "0", "12"],
    ]
    assert got["Requests from immigration authorities by provision"] == [
        ["Provision", "Violated", "Exception applied", "Escalated"],
        ["BTA-DET-01", "1", "0", "0"],
        ["BTA-INFO-01", "2", "0", "0"],
        ["BTA-INFO-02", "1", "0", "0"],
        ["BTA-RES-01", "1", "0", "0"],
        ["BTA-ROLE-01", "1", "0", "0"],
        ["EXC-HSI-CRIMINAL", "0", "1", "0"],
        ["EXC-JUDICIAL-WARRANT", "0", "1", "0"],
        ["FED-1373-ESC", "0", "0", "3"],
        ["MA-LUNN-01", "1", "0", "0"],
    ]
    assert got["Escalations for legal review"] == [
        ["Provision", "Action", "Outcome", "Decisions"],
        ["FED-1373-ESC", "share_information", "deny", "2"],
        ["FED-1373-ESC", "share_information", "escalate", "1"],
    ]
    today = now.date().isoformat()
    assert got["Policy revisions in force"] == [
        ["Revision", "First decision", "Last decision", "Decisions"],
        [revision, today, today, "14"],
    ]


def test_report_states_reimbursements_are_not_in_the_logs(
    logged: tuple[DecisionStore, str],
) -> None:
    report = annual_report(logged[0], datetime.now(BOSTON).year)
    section = report.split("## Federal reimbursements\n\n")[1].split("\n\n")[0]
    assert "not in the decision logs" in section
    assert not re.search(r"\$|\d", section)


def test_report_for_a_year_without_decisions_is_all_zero(logged: tuple[DecisionStore, str]) -> None:
    got = tables(annual_report(logged[0], 2001))
    assert got["Detainer requests by month and disposition"] == month_table({}, ["Month", "Total"])
    assert got["Policy revisions in force"] == [
        ["Revision", "First decision", "Last decision", "Decisions"]
    ]


def _upload(url: str, stamps: list[tuple[str, str, str]]) -> None:
    events = [
        {
            "decision_id": f"synthetic-{i}",
            "path": "trustpolicy/decision",
            "timestamp": stamp,
            "input": {**RECEIVED_A1, "action": action},
            "result": {"outcome": outcome, "obligations": [{"rule": "BTA-RPT-01"}]},
            "bundles": {"trustpolicy": {"revision": "2026.1"}},
        }
        for i, (stamp, action, outcome) in enumerate(stamps)
    ]
    body = gzip.compress(json.dumps(events).encode())
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Encoding": "gzip"}
    assert requests.post(url + "/logs", data=body, headers=headers, timeout=10).ok


def test_months_and_year_follow_boston_time(store_url: str) -> None:
    with Collector(store_url, {"agent": TOKEN}) as collector:
        _upload(
            collector.url,
            [
                ("2026-01-01T03:00:00Z", "receive_detainer", "allow"),  # 2025-12-31 in Boston
                ("2026-01-01T06:00:00.5Z", "receive_detainer", "allow"),
                ("2026-07-04T12:00:00Z", "detain", "deny"),
                ("2026-07-04T13:00:00-04:00", "detain", "deny"),
                ("2027-01-01T04:59:59.999999999Z", "detain", None),  # 2026-12-31 in Boston
                ("2027-01-01T05:00:00Z", "detain", "deny"),  # 2027 in Boston
            ],
        )
        report = annual_report(collector.store, 2026)
        page = annual_report(collector.store, 2026, "html")
    header = ["Month", "Received and recorded", "Hold refused", "No decision (engine error)"]
    got = tables(report)["Detainer requests by month and disposition"]
    assert got == month_table(
        {"Jan": [1, 0, 0], "Jul": [0, 2, 0], "Dec": [0, 0, 1]}, [*header, "Total"]
    )
    assert tables(report)["Policy revisions in force"][1] == [
        "2026.1",
        "2026-01-01",
        "2026-12-31",
        "4",
    ]
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg"', page.index("<h2>Requests from"))
    svg = ET.fromstring(page[start : page.index("</svg>", start) + 6])
    bars = sorted(
        (r.findtext("{http://www.w3.org/2000/svg}title") or "")
        for r in svg.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("{http://www.w3.org/2000/svg}title") is not None
    )
    assert bars == ["Dec: 1 no decision", "Jan: 1 allow", "Jul: 2 deny"]


def test_html_report_is_self_contained(logged: tuple[DecisionStore, str]) -> None:
    page = annual_report(logged[0], datetime.now(BOSTON).year, format="html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert re.findall(r"(?:src|href)=", page) == []
    assert set(re.findall(r"https?://[^\"]+", page)) == {"http://www.w3.org/2000/svg"}
    assert page.count("<svg") == 2  # requests by channel; immigration requests by outcome
    assert "<table>" in page
    assert "Federal reimbursements" in page


def test_unknown_format_is_a_config_error(logged: tuple[DecisionStore, str]) -> None:
    with pytest.raises(ConfigError):
        annual_report(logged[0], 2026, format="pdf")  # type: ignore[arg-type]


def test_store_reads_by_time_window(logged: tuple[DecisionStore, str]) -> None:
    store = logged[0]
    assert store.decisions(until=datetime(2000, 1, 1, tzinfo=UTC)) == []
    assert len(store.decisions(since=datetime(2000, 1, 1, tzinfo=UTC))) == store.count() == 14
