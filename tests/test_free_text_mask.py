"""Free text past the mask (issue 15, finding 4): agency and district within the schema only.

``actor.agency`` and ``actor.district`` are the only free-text fields the decision log
keeps. The collector keeps them only within the input schema's own limits (length and
the pattern that refuses control, bidi and zero-width characters) and drops a value
outside them, whatever the agent sent: here a real agent without the mask policy (a
misconfigured department) logs the values, and the real collector stores the rest.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from city import decide, example, wait_for_count
from conftest import TEST_REGISTER_KEY
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._collector import Collector
from trustpolicy.record._masking import project_input
from trustpolicy.record._register_key import RegisterKey

if TYPE_CHECKING:
    from pathlib import Path

#: Module-scoped fixtures run outside the autouse monkeypatch: the key is passed.
KEY = RegisterKey.from_text(TEST_REGISTER_KEY, "test key")
TOKEN = "unmasked-agent-token-" + "m" * 16
TOO_LONG = "D" * 33  # the schema's maxLength for district is 32
HUGE = "C-11 " + "x" * 200_000
DROPPED = {
    "long": TOO_LONG,
    "huge": HUGE,
    "newline": "C-11\nJane Roe, undocumented",
    "bidi": "C-11\u202e",
    "zero-width": "C\u200b-11",
    "nul": "C-11\x00",
    "empty": "",
    "not a string": 11,
}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each hostile district (and agency) logged by a real agent with no mask policy."""
    folder = tmp_path_factory.mktemp("free-text")
    bare = folder / "bare"
    bare.mkdir()
    (bare / "p.rego").write_text(
        'package trustpolicy\n\ndecision := {"outcome": "deny", "allowed": false, '
        '"violations": [{"rule": "BTA-DET-01"}]}\n'
    )
    db = folder / "d.sqlite"
    inputs: dict[str, Any] = {}
    for name, value in DROPPED.items():
        data = example("detain", "deny")
        data["actor"]["district"] = value
        data["actor"]["agency"] = "A" * 129 if name == "long" else value  # agency: 128
        inputs[name] = data
    kept = example("detain", "deny")
    kept["actor"] |= {"district": "D" * 32, "agency": "Boston Police Department | BPD <x>"}
    inputs["kept"] = kept
    with Collector(db, {"unmasked": TOKEN}, register_key=KEY) as collector:
        config = {
            "services": {
                "collector": {"url": collector.url, "credentials": {"bearer": {"token": TOKEN}}}
            },
            "decision_logs": {
                "service": "collector",
                "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
            },
        }
        with LocalOPA(policies=bare, config=config) as opa:
            ids = {name: decide(opa, data)["decision_id"] for name, data in inputs.items()}
            wait_for_count(collector.store, len(inputs))
        by_id = {d.decision_id: d for d in collector.store.decisions()}
    return {"by_name": {n: by_id[i] for n, i in ids.items()}, "db": db}


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_free_text_outside_the_schema_limits_is_dropped(stored, name) -> None:
    actor = stored["by_name"][name].input["actor"]
    assert actor == {"role": "police_officer"}


def test_free_text_within_the_schema_limits_is_kept(stored) -> None:
    actor = stored["by_name"]["kept"].input["actor"]
    assert actor == {
        "agency": "Boston Police Department | BPD <x>",
        "role": "police_officer",
        "district": "D" * 32,
    }


def test_a_huge_district_never_reaches_the_database(stored) -> None:
    db: Path = stored["db"]
    rows = sqlite3.connect(db).execute("SELECT max(length(input)) FROM decisions").fetchone()
    assert rows[0] < 2_000
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert b"x" * 1000 not in raw
    assert b"Jane Roe" not in raw


def test_projection_uses_the_schema_limits_of_each_field() -> None:
    agency = "A" * 128
    data = {"actor": {"agency": agency, "role": "city_employee", "district": TOO_LONG}}
    assert project_input(data) == {"actor": {"agency": agency, "role": "city_employee"}}
    data["actor"]["agency"] += "A"
    assert project_input(data) == {"actor": {"role": "city_employee"}}
    assert json.dumps(project_input({"actor": {"district": "C-11\u2066"}})) == '{"actor": {}}'
