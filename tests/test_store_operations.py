"""Operating the PostgreSQL store: the documented grants, a restart, the report it gives.

The server is real (tests/pg_server.py); the same uploads go into a SQLite file to compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import ROOT
from test_store_backends import event, trustpolicy
from trustpolicy import CollectorError, DecisionStore, RegisterKey

if TYPE_CHECKING:
    from pathlib import Path

    from pg_server import PostgresServer


# -- operations: the documented grants, a database restart ----------------------------------


def test_collector_and_reporter_roles_work_with_only_the_documented_grants(
    postgres: PostgresServer,
) -> None:
    """The GRANTs of docs/records-database.md are enough for a collector and a report."""
    url = postgres.new_database("grants")
    dbname = url.rsplit("/", 1)[1]
    with DecisionStore(url, password=postgres.app_password, migrate=True):
        pass
    doc = (ROOT / "docs" / "records-database.md").read_text()
    grants = [line for line in doc.splitlines() if line.startswith("GRANT ")]
    assert len(grants) == 6
    with postgres.admin() as conn:
        for role in ("collector", "reporter"):
            conn.execute(f"DROP ROLE IF EXISTS {role}".encode())
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'".encode())
    with postgres.admin(dbname) as conn:
        for grant in grants:
            conn.execute(grant.replace("DATABASE trustpolicy", f"DATABASE {dbname}").encode())
    collector_url = postgres.url(dbname, "collector")
    key = RegisterKey.from_text("6a" * 32, "grants key")
    held = {**event("g-h"), "input": {"action": "detain", "detainer": {"reference": "R-1"}}}
    with DecisionStore(collector_url, password="pw-collector") as store:
        assert store.add("a", [event("g-1"), event("g-2")]).added == 2
        assert store.add("a", [held], register=key).added == 1  # links it to the register
        assert store.add("a", [event("g-1")]).duplicates == 1
        store.record_status("a", {"ok": True})
        store.record_status("a", {"ok": False})
        assert store.count() == 3
    with DecisionStore(postgres.url(dbname, "reporter"), password="pw-reporter") as report:
        assert [d.decision_id for d in report.decisions()] == ["g-1", "g-2", "g-h"]
        assert list(report.named_detainers([key.digest("R-1")])) == [key.digest("R-1")]
        report.bind_register_key(key)  # reads the fingerprint the collector recorded
        assert report.agent_status() == {"a": {"ok": False}}
        with pytest.raises(CollectorError, match="permission denied"):
            report.add("a", [event("g-3")])


def test_store_carries_on_after_the_database_restarts(postgres: PostgresServer) -> None:
    url = postgres.new_database("restart")
    with DecisionStore(url, password=postgres.app_password, migrate=True) as store:
        assert store.add("a", [event("r-1")]).added == 1
        postgres.restart()  # every pooled connection is cut
        assert store.add("a", [event("r-1"), event("r-2")]).added == 1
        assert store.count() == 2


def test_report_from_postgresql_is_the_report_from_sqlite(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """The same uploads into both backends give the same report, byte for byte."""
    detainer = {
        "action": "receive_detainer",
        "actor": {"agency": "BPD", "role": "police_officer", "district": "C-11"},
        "counterpart": {"agency": "ICE-ERO"},
        "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
    }
    events = [
        {
            **event(f"p-{i}", f"2025-{month:02d}-0{1 + i % 9}T1{i % 10}:00:00.{i:06d}123Z"),
            "input": detainer,
            "result": {"outcome": outcome, "obligations": [{"rule": "BTA-RPT-01"}]},
        }
        for i, (month, outcome) in enumerate(
            [(1, "allow"), (3, "allow"), (3, "deny"), (7, "escalate"), (12, "allow")] * 4
        )
    ]
    url = postgres.new_database("parity")
    with DecisionStore(url, password=postgres.app_password, migrate=True) as pg:
        pg.add("c11", events[:11])
        pg.add("c11", events[5:])
    sqlite = tmp_path / "d.sqlite"
    with DecisionStore(sqlite) as lite, DecisionStore(url, password=postgres.app_password) as pg:
        lite.add("c11", events)
        assert lite.decisions() == pg.decisions()
        assert lite.count() == pg.count() == len(events)
    env = {"TRUSTPOLICY_DB_PASSWORD": postgres.app_password}
    for fmt in ("markdown", "html"):
        from_pg = trustpolicy("report", "--year", "2025", "--format", fmt, "--db", url, env=env)
        from_lite = trustpolicy("report", "--year", "2025", "--format", fmt, "--db", sqlite)
        assert from_pg.returncode == from_lite.returncode == 0, from_pg.stderr
        assert from_pg.stdout == from_lite.stdout
    assert "20 decisions were logged" in from_lite.stdout
