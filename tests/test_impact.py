"""Impact analysis against real processes: an agent on a signed bundle logs to a collector,
then every stored decision is replayed through a candidate bundle by a real OPA.

Replaying the same bundle must change nothing (outcome and rule ids, 100%): that is what
makes the impact of a real change trustworthy. Then a candidate that moves the 2019
amendment's date, and a replay as of 2017, show what changes and where.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from conftest import TEST_REGISTER_KEY, WORKED_EXAMPLES
from invariants_space import DETAINERS, random_base
from test_cli import run
from trustpolicy import (
    Client,
    DecisionRequest,
    LocalOPA,
    SigningKey,
    build_bundle,
    generate_signing_key,
    impact_report,
    policies_dir,
    replay_decisions,
    sign_bundle,
)
from trustpolicy.cli._cli_versions import parse_as_of
from trustpolicy.record._collector import Collector
from trustpolicy.record._impact import Impact, ReplayedDecision, replay_input
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._store import DecisionStore

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "agent-d4-" + "y" * 24
EXAMPLES = json.loads(WORKED_EXAMPLES.read_text())
TARA = EXAMPLES[9]["input"]
HOLD = EXAMPLES[0]["input"]
BPD = {"agency": "BPD", "role": "police_officer", "district": "D-4"}


def varied_requests() -> list[dict[str, Any]]:
    """The worked examples, dated cases at every version boundary, the facts the mask must
    keep (charges, statutes, case, detainer, consular notification), missing facts, and a
    seeded sample of the invariant suite's input space."""
    docs = [e["input"] for e in EXAMPLES]
    days = ("2012-06-01", "2014-08-19", "2014-08-20", "2017-03-15", "2017-07-24", "2019-12-18")
    bases = (TARA, HOLD, EXAMPLES[2]["input"], EXAMPLES[4]["input"])
    docs += [{**b, "occurred_at": f"{day}T12:00:00-04:00"} for day in days for b in bases]
    docs += [
        {  # criminal history of a person charged with a serious violent felony
            "action": "share_information",
            "actor": BPD,
            "subject": {"role": "arrestee", "charges": [{"severity": "serious_violent_felony"}]},
            "counterpart": {"agency": "ICE-ERO"},
            "information": ["name", "date_of_birth", "criminal_history"],
            "purpose": "criminal_history_check",
        },
        {  # the same with only a misdemeanour
            "action": "share_information",
            "actor": BPD,
            "subject": {"role": "arrestee", "charges": [{"severity": "misdemeanor"}]},
            "counterpart": {"agency": "ICE-ERO"},
            "information": ["name", "criminal_history"],
            "purpose": "criminal_history_check",
        },
        {  # status is an element of the offence, by statute only
            "action": "inquire_status",
            "actor": BPD,
            "subject": {"role": "suspect"},
            "purpose": "criminal_investigation",
            "criminal_case": {"id": "CR-2026-0042", "statute": "8 USC 1326"},
        },
        {  # consular notification for an arrested person
            "action": "inquire_status",
            "actor": BPD,
            "subject": {"role": "arrestee", "in_custody": True},
            "purpose": "consular_notification",
        },
        {**EXAMPLES[11]["input"], "detainer": DETAINERS[0]},
        {**HOLD, "detainer": DETAINERS[1], "occurred_at": "2018-01-09T08:00:00-05:00"},
        {  # a missing fact: TP-INPUT-01, which replays as such
            "action": "detain",
            "actor": BPD,
            "subject": {"in_custody": True},
            "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
        },
    ]
    rng = random.Random(2017)
    docs += [random_base(rng) for _ in range(240)]
    return docs


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("impact")
    key = generate_signing_key(tmp / "keys")
    bundle = tmp / "trustpolicy.tar.gz"
    build_bundle(policies_dir(), bundle)
    sign_bundle(bundle, SigningKey.from_file(key.private, key_id="trustpolicy"))
    return {"bundle": bundle, "key": key.public, "dir": tmp}


@pytest.fixture(scope="module")
def logged(signed: dict[str, Path]) -> tuple[Path, list[Any]]:
    """A store of the varied requests, decided one by one through a real agent + collector."""
    db = signed["dir"] / "decisions.sqlite"
    config = {
        "services": {"collector": {"url": "", "credentials": {"bearer": {"token": TOKEN}}}},
        "decision_logs": {
            "service": "collector",
            "reporting": {"min_delay_seconds": 1, "max_delay_seconds": 1},
        },
    }
    requests = [DecisionRequest.from_dict(d) for d in varied_requests()]
    key = RegisterKey.from_text(TEST_REGISTER_KEY, "test")  # module scope: no autouse env
    with Collector(db, {"agent-d4": TOKEN}, register_key=key) as collector:
        config["services"]["collector"]["url"] = collector.url  # type: ignore[index]
        agent = LocalOPA(
            bundle=signed["bundle"],
            verification_key=signed["key"],
            verification_key_id="trustpolicy",
            config=config,
        )
        with agent, Client(agent.url) as client:
            # One by one, then the rest as batches: each request of a batch is its own record.
            half = len(requests) // 2
            decisions = [client.decide(r) for r in requests[:half]]
            for i in range(half, len(requests), 50):
                decisions += client.decide_many(requests[i : i + 50])
            deadline = time.monotonic() + 30
            while collector.store.count() < len(requests) and time.monotonic() < deadline:
                time.sleep(0.1)
        assert collector.store.count() == len(requests)
    return db, decisions


def test_replay_on_the_same_bundle_changes_nothing(signed, logged) -> None:
    db, decisions = logged
    with DecisionStore(db) as store:
        stored = {d.decision_id: d for d in store.decisions()}
        seen: list[tuple[int, int | None]] = []
        impact = replay_decisions(
            store,
            signed["bundle"],
            verification_key=signed["key"],
            key_id="trustpolicy",
            batch_size=64,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert len(stored) == len(decisions) == impact.replayed == impact.stored
    assert impact.skipped == 0
    assert 0 < impact.asked <= impact.replayed
    paths = Counter(d.path for d in stored.values())
    assert paths["trustpolicy/batch"] == len(decisions) - len(decisions) // 2
    assert paths["trustpolicy/decision"] == len(decisions) // 2
    assert impact.changes == ()  # 100% identical outcomes and rule sets
    assert impact.before == impact.after
    assert sum(impact.before.values()) == len(decisions)
    assert set(impact.before) == {"allow", "deny", "escalate"}
    assert seen[-1] == (len(decisions), len(decisions))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    # The stored decisions are the ones the client was given.
    for decision in decisions:
        assert stored[decision.decision_id].outcome == decision.outcome.value
        assert set(stored[decision.decision_id].rules("violations")) == {
            f.rule for f in decision.violations
        }
    # The law of every decision was replayed: dated ones at their date, others when decided.
    dated = [d for d in stored.values() if "occurred_at" in d.input]
    assert len(dated) >= 26
    assert all(replay_input(d)["occurred_at"] == d.input["occurred_at"] for d in dated)
    report = impact_report(impact, "markdown")
    assert "Changed: 0 (0.00%)" in report


def test_a_candidate_that_moves_the_2019_amendment_shows_what_it_undoes(signed, logged) -> None:
    db, _ = logged
    policies = signed["dir"] / "candidate-policies"
    shutil.copytree(policies_dir(), policies)
    law = policies / "trustpolicy" / "law" / "data.json"
    data = json.loads(law.read_text())
    for version in data["versions"]:
        if version["id"] == "BTA-2019":
            version["in_force_from"] = "2099-01-01"  # a wrong date, caught before it ships
    law.write_text(json.dumps(data))
    candidate = signed["dir"] / "candidate.tar.gz"
    build_bundle(policies, candidate)
    with DecisionStore(db) as store:
        impact = replay_decisions(store, candidate)
    assert impact.changes
    lost = {rule for rule, (_, n) in impact.by_provision().items() if n}
    assert "BTA-INFO-01" in lost  # Tara today: the forwarding is no longer caught
    assert all("BTA-2019" not in c.after_rules for c in impact.changes)
    tara = [
        c for c in impact.changes if c.action == "share_information" and "BTA-INFO-01" in c.lost
    ]
    assert tara
    assert {c.after for c in tara} <= {"allow", "escalate"}
    assert impact.transitions()["deny → escalate"] >= 1
    assert set(impact.by("district")) >= {"D-4"}
    assert impact.before != impact.after


def test_as_of_2017_replays_every_decision_under_the_2014_act(signed, logged) -> None:
    db, _ = logged
    with DecisionStore(db) as store:
        impact = replay_decisions(store, signed["bundle"], as_of=parse_as_of("2017-03-15"))
    # Under one day's law the same request asked on different days is one input: asked once.
    assert impact.asked < impact.replayed
    gained_lost = impact.by_provision()
    assert gained_lost["BTA-INFO-01"][1] > 0  # lost: no Boston information rule in 2017
    assert gained_lost.get("MA-LUNN-01", (0, 0))[1] > 0  # Lunn came in July 2017
    assert gained_lost.get("BTA-DET-01", (0, 0))[0] > 0  # gained by the 2012 hold, now 2017
    assert all(
        not (c.after_rules & {"BTA-INQ-01", "BTA-RES-01", "BTA-ROLE-01"}) for c in impact.changes
    )


def test_impact_command_writes_each_format_and_refuses_a_wrong_key(signed, logged) -> None:
    db, decisions = logged
    out = signed["dir"] / "impact.html"
    proc = run(
        "impact", "--db", db, "--bundle", signed["bundle"], "--key", signed["key"],
        "--as-of", "2017-03-15", "--format", "html", "--out", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"replayed {len(decisions)} decisions in" in proc.stderr
    n = len(decisions)
    assert f"replayed {n} of {n} stored decisions so far" in proc.stderr
    page = out.read_text()
    assert page.count("<svg") == 2
    assert "BTA-INFO-01" in page
    assert "Outcomes before and after" in page
    proc = run("impact", "--db", db, "--bundle", signed["bundle"], "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["replayed"], doc["changes"]) == (len(decisions), [])
    proc = run("impact", "--db", db, "--bundle", signed["bundle"], "--year", "2016")
    assert proc.returncode == 0, proc.stderr
    assert "Replayed 0 of 0 stored decisions of 2016" in proc.stdout
    other = generate_signing_key(signed["dir"] / "other-keys")
    proc = run("impact", "--db", db, "--bundle", signed["bundle"], "--key", other.public)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    proc = run("impact", "--db", signed["dir"] / "nowhere.sqlite", "--bundle", signed["bundle"])
    assert proc.returncode == 2
    assert "no such decision store" in proc.stderr


def test_the_report_escapes_what_agents_sent() -> None:
    change = ReplayedDecision(
        decision_id="d-1",
        timestamp=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
        action="share_information",
        district="C-11 | <script>alert(1)</script> **x**",
        before="deny",
        after="allow",
        before_rules=frozenset({"BTA-INFO-01"}),
        after_rules=frozenset(),
    )
    impact = Impact(
        bundle="candidate.tar.gz",
        revision="r2",
        as_of=None,
        year=2026,
        stored=2,
        skipped=0,
        before={"deny": 2},
        after={"deny": 1, "allow": 1},
        changes=(change,),
        seconds=0.5,
    )
    markdown = impact_report(impact, "markdown")
    row = next(line for line in markdown.splitlines() if line.startswith("| d-1 |"))
    assert row.count(" | ") == 7  # eight cells: the pipe in the district is escaped
    assert "<script>" not in markdown
    assert "\\*\\*x\\*\\*" in markdown
    page = impact_report(impact, "html")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    doc = json.loads(impact_report(impact, "json"))
    assert doc["by_provision"] == {"BTA-INFO-01": {"gained": 0, "lost": 1}}
    assert doc["transitions"] == {"deny → allow": 1}
    assert doc["by_month"] == {"2026-03": {"deny → allow": 1}}
    assert impact.unchanged == 1
    with pytest.raises(ValueError, match="unknown report format"):
        impact_report(impact, "pdf")
