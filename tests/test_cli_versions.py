"""``decide --as-of`` and ``explain`` on the law in force on a day (contract section 2).

The 2017 Tara Construction case (worked example 10) fell under BTA-2014 and US-1373 only:
BTA-2014 covered holds, so forwarding the worker's name was no Trust Act violation then,
while the status information still went to legal review under 8 U.S.C. § 1373.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from test_cli import EXAMPLES, one_error_line, run, write
from trustpolicy.cli._cli_versions import BOSTON, parse_as_of

TARA = EXAMPLES[9]["input"]  # 10: the detective forwards the worker's name and hit to ICE-ERO
HOLD = EXAMPLES[0]["input"]  # 1: a 48-hour hold on a civil detainer after the charge is dismissed


def decide(tmp_path: Any, request: dict[str, Any], *args: str) -> tuple[int, Any]:
    proc = run("decide", "--local", *args, write(tmp_path / "r.json", request))
    assert proc.returncode in {0, 1, 3}, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def rules(doc: dict[str, Any]) -> dict[str, list[str]]:
    keys = ("violations", "exceptions", "escalations", "obligations")
    return {k: sorted(e["rule"] for e in doc[k]) for k in keys if doc[k]}


def test_as_of_2017_decides_tara_under_the_2014_act(tmp_path) -> None:
    code, then = decide(tmp_path, TARA, "--as-of", "2017-03-15")
    assert code == 3  # escalate: legal review, no Trust Act violation in 2017
    assert then["law"] == {"date": "2017-03-15", "versions": ["US-1373", "BTA-2014"]}
    assert rules(then) == {"escalations": ["FED-1373-ESC"]}
    assert then["escalations"][0]["version"] == "US-1373"
    code, now = decide(tmp_path, TARA)
    assert code == 1
    assert rules(now) == {"violations": ["BTA-INFO-01"], "escalations": ["FED-1373-ESC"]}
    assert now["violations"][0]["version"] == "BTA-2019"
    assert now["law"]["versions"] == ["US-1373", "BTA-2014", "MA-LUNN", "BTA-2019"]


def test_as_of_leaves_a_request_s_own_occurred_at_alone(tmp_path) -> None:
    own = {**HOLD, "occurred_at": "2018-02-01T10:00:00-05:00"}
    _, doc = decide(tmp_path, own, "--as-of", "2017-03-15")
    assert doc["law"] == {"date": "2018-02-01", "versions": ["US-1373", "BTA-2014", "MA-LUNN"]}
    assert rules(doc) == {"violations": ["BTA-DET-01", "MA-LUNN-01"], "obligations": ["BTA-RPT-01"]}


def test_as_of_a_time_applies_the_day_in_boston(tmp_path) -> None:
    # 02:30 UTC on 20 December 2019 is still 19 December in Boston: the amended Act's first day.
    _, doc = decide(tmp_path, TARA, "--as-of", "2019-12-20T02:30:00Z")
    assert doc["law"]["date"] == "2019-12-19"
    assert "BTA-2019" in doc["law"]["versions"]
    _, before = decide(tmp_path, TARA, "--as-of", "2019-12-19T04:59:59Z")  # 23:59:59 on the 18th
    assert before["law"]["date"] == "2019-12-18"
    assert "BTA-INFO-01" not in rules(before).get("violations", [])


def test_as_of_applies_to_every_request_of_a_batch(tmp_path) -> None:
    proc = run(
        "decide", "--local", "--as-of", "2016-06-01", write(tmp_path / "b.json", [TARA, HOLD])
    )
    docs = json.loads(proc.stdout)
    assert [d["law"]["date"] for d in docs] == ["2016-06-01", "2016-06-01"]
    # 2016: BTA-2014 forbids the hold; Lunn (July 2017) is not yet law.
    assert rules(docs[1]) == {"violations": ["BTA-DET-01"], "obligations": ["BTA-RPT-01"]}


@pytest.mark.parametrize("value", ["2017-3-15", "yesterday", "2017-03-15T09:30:00", "1990-13-01"])
def test_as_of_refuses_what_is_not_a_day_or_an_aware_time(tmp_path, value: str) -> None:
    proc = run("decide", "--local", "--as-of", value, write(tmp_path / "r.json", TARA))
    assert proc.returncode == 2
    one_error_line(proc, "--as-of", "is not a day (YYYY-MM-DD)")


def test_as_of_before_the_oldest_law_is_denied_by_the_engine(tmp_path) -> None:
    code, doc = decide(tmp_path, TARA, "--as-of", "1990-01-01")
    assert code == 1
    assert [v["rule"] for v in doc["violations"]] == ["TP-INPUT-01"]
    assert "before 1996-09-30" in doc["violations"][0]["message"]
    assert doc["law"] == {"date": None, "versions": []}


def test_parse_as_of_reads_a_day_as_its_start_in_boston() -> None:
    assert parse_as_of("2017-03-15") == dt.datetime(2017, 3, 15, tzinfo=BOSTON)
    assert parse_as_of("2017-03-15T09:30:00-04:00").utcoffset() == dt.timedelta(hours=-4)


def test_explain_names_each_entry_s_version_and_the_law_s_day(tmp_path) -> None:
    path = write(tmp_path / "r.json", TARA)
    then = run("explain", "--local", "--as-of", "2017-03-15", path)
    assert then.returncode == 3, then.stderr
    assert "version: US-1373" in then.stdout
    assert "Law applied: in force on 2017-03-15 (US-1373, BTA-2014)." in then.stdout
    assert "BTA-INFO-01" not in then.stdout
    now = run("explain", "--local", path)
    assert now.returncode == 1
    line = next(x for x in now.stdout.splitlines() if x.startswith("  - BTA-INFO-01:"))
    assert line.endswith("version: BTA-2019)")
    assert "Law applied: in force on " in now.stdout
    assert "(US-1373, BTA-2014, MA-LUNN, BTA-2019)." in now.stdout
