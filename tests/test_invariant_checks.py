"""The invariant suite's own checks and space, on hand-made inputs and decisions (no OPA).

A checker that accepted a false allow would make the invariant suite pass on a broken
policy, so each check is shown to catch the false allows of issue 12's classes and to
accept the decisions the contract asks for.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from invariants_check import Tally, check_decision, check_pair, missing_fact, period
from invariants_faults import incomplete, malformed
from invariants_space import (
    CASE_ID,
    INFO_SETS,
    PURPOSES,
    core_bases,
    make,
    variants,
)
from trustpolicy import DecisionRequest, InvalidRequest

BPD = {"agency": "BPD", "role": "police_officer"}
CITY = {"agency": "Inspectional Services", "role": "city_employee"}
TODAY = "2026-03-01T12:00:00Z"
JCW = {"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}


def entry(rule: str, **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "message": f"{rule} applies.", **extra}


def decision(*violations: str, exceptions: tuple[str, ...] = (),
             escalations: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """A decision whose outcome is derived from its sets, as section 4 says."""
    outcome = "deny" if violations else ("escalate" if escalations else "allow")
    return {
        "outcome": outcome,
        "allowed": outcome == "allow",
        "violations": [entry(r) for r in violations],
        "exceptions": [entry(r, lifts="X") for r in exceptions],
        "escalations": [entry(r) for r in escalations],
        "obligations": [],
    }


ALLOW = decision()


def act(action: str, **fields: Any) -> dict[str, Any]:
    return {"action": action, "actor": fields.pop("actor", BPD), "occurred_at": TODAY, **fields}


def broken(doc: Any, dec: dict[str, Any], label: str | None = None) -> set[str]:
    return {inv for inv, reasons in check_decision(doc, dec, label).items() if reasons}


# -- invariant 1 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        act("transfer_custody", counterpart={"agency": "ICE-ERO"}),
        act("transfer_custody", counterpart={"agency": "ICE-ERO"},
            authority=[{"type": "state_criminal_warrant", "issued_by": "state_judge"}]),
        act("transfer_custody", counterpart={"agency": "CBP"},
            authority=[{"type": "judicial_criminal_warrant", "issued_by": "immigration_judge"}]),
        act("transfer_custody", counterpart={"agency": "ICE-ERO"},
            authority=[{"type": "judicial_order", "issued_by": "federal_judge"}]),
        act("share_information", counterpart={"agency": "CITY_DEPARTMENT",
            "forwards_to": ["ICE-ERO"]}, information=["home_address"]),
        act("share_information", counterpart={"agency": "USCIS"}, information=["release_date"],
            criminal_case={"id": CASE_ID, "category": "human_trafficking"}),
        act("share_information", counterpart={"agency": "ICE-ERO"},
            information=["criminal_history"], subject={"charges": [{"severity": "misdemeanor"}]}),
        act("join_operation", operation={"primary_purpose": "public_safety", "partner": "ICE-ERO"}),
        act("join_operation", operation={"primary_purpose": "criminal_enforcement",
            "partner": "CBP"}, criminal_case={"id": CASE_ID}),
        act("commit_resources", counterpart={"agency": "ICE-ERO"}, purpose="public_safety"),
    ],
)  # fmt: skip
def test_invariant_1_catches_a_false_allow_of_what_reaches_ero_cbp_or_uscis(doc: Any) -> None:
    assert broken(doc, ALLOW) == {"1"}
    assert broken(doc, decision(escalations=("FED-1373-ESC",))) == {"1"}  # not a deny either
    assert broken(doc, decision("BTA-XFER-01")) == set()


@pytest.mark.parametrize(
    "doc",
    [
        act("transfer_custody", counterpart={"agency": "ICE-ERO"}, authority=[JCW]),
        act("transfer_custody", counterpart={"agency": "ICE-ERO"}, criminal_case={"id": CASE_ID},
            authority=[{"type": "judicial_order", "issued_by": "magistrate"}]),
        act("share_information", counterpart={"agency": "ICE-ERO"},
            information=["criminal_history", "name", "date_of_birth"],
            subject={"charges": [{"severity": "serious_violent_felony"}]}),
        act("join_operation", operation={"primary_purpose": "public_safety", "partner": "CBP"},
            authority=[JCW]),
        act("transfer_custody", counterpart={"agency": "ICE-HSI"}),  # not ERO, CBP or USCIS
        {**act("transfer_custody", counterpart={"agency": "ICE-ERO"}),
         "occurred_at": "2016-03-01T12:00:00Z"},  # before BTA-2019: BTA-XFER-01 not in force
    ],
)  # fmt: skip
def test_invariant_1_accepts_an_allow_the_table_lifts_or_no_provision_covers(doc: Any) -> None:
    assert "1" not in broken(doc, ALLOW)


# -- invariant 2 --------------------------------------------------------------------------

HOLD = {"in_custody": True, "eligible_for_release": True}


@pytest.mark.parametrize(
    ("papers", "when", "caught"),
    [
        ([{"type": "civil_detainer", "issued_by": "ice_officer"}], "2016-03-01T12:00:00Z", True),
        ([{"type": "civil_detainer"}], "2018-03-01T12:00:00Z", True),
        ([{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}], TODAY, True),
        ([{"type": "removal_order", "issued_by": "immigration_judge"}], TODAY, True),
        ([{"type": "judicial_criminal_warrant", "issued_by": "immigration_judge"}], TODAY, True),
        ([{"type": "civil_detainer", "issued_by": "ice_officer"}], "2012-06-01T12:00:00Z", False),
        ([{"type": "ice_administrative_warrant"}], "2016-03-01T12:00:00Z", False),
        ([{"type": "civil_detainer"}, JCW], TODAY, False),
        ([{"type": "civil_detainer"}, {"type": "state_criminal_warrant",
                                       "issued_by": "state_judge"}], TODAY, False),
    ],
)  # fmt: skip
def test_invariant_2_catches_a_hold_on_civil_documents_alone_where_a_provision_is_in_force(
    papers: list[dict[str, str]], when: str, caught: bool
) -> None:
    doc = act("detain", subject=HOLD, authority=papers, occurred_at=when)
    assert ("2" in broken(doc, ALLOW)) is caught
    assert "2" not in broken(doc, decision("BTA-DET-01"))


@pytest.mark.parametrize(
    ("action", "subject", "caught"),
    [
        ("detain", {"in_custody": False, "eligible_for_release": False}, True),
        ("arrest", {"in_custody": False}, True),
        ("detain", {"in_custody": True, "eligible_for_release": False}, False),
    ],
)
def test_clarification_stops_catches_a_stop_or_arrest_on_civil_documents_alone(
    action: str, subject: dict[str, Any], caught: bool
) -> None:
    papers = [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}]
    doc = act(action, subject=subject, authority=papers)
    assert ("2-stop" in broken(doc, ALLOW)) is caught
    assert "2-stop" not in broken(doc, decision("BTA-ARR-01"))
    assert "2-stop" not in broken({**doc, "authority": [*papers, JCW]}, ALLOW)
    assert "2-stop" not in broken({**doc, "occurred_at": "2018-03-01T12:00:00Z"}, ALLOW)


# -- invariant 3 --------------------------------------------------------------------------


def test_invariant_3_a_malformed_input_needs_a_tp_input_01_deny() -> None:
    doc = {"action": "deport", "actor": BPD}
    assert broken(doc, ALLOW, "action_unknown") == {"3"}
    assert broken(doc, decision("BTA-INQ-01"), "action_unknown") == {"3"}
    assert broken(doc, decision("TP-INPUT-01"), "action_unknown") == set()
    assert broken([doc], ALLOW, "input_not_object") == {"3"}


@pytest.mark.parametrize(
    "doc",
    [
        act("inquire_status", actor=CITY, counterpart={"agency": "ICE-ERO"}),
        act("inquire_status", actor=CITY),
        act("detain", authority=[{"type": "civil_detainer"}], subject={"in_custody": True}),
        act("detain", authority=[{"type": "civil_detainer"}]),
        act("share_information", information=["name"]),
        act("share_information", counterpart={"agency": "ICE-ERO"}),
        act("join_operation"),
        act("share_information", counterpart={"agency": "CBP"}, information=["criminal_history"],
            subject={"in_custody": True}),
    ],
)  # fmt: skip
def test_invariant_3_catches_an_allow_that_lacks_a_needed_fact(doc: Any) -> None:
    assert missing_fact(doc, period(doc))
    assert "3" in broken(doc, ALLOW)
    assert "3" not in broken(doc, decision("TP-INPUT-01"))


def test_invariant_3_a_fact_no_provision_in_force_needs_is_not_missing() -> None:
    doc = act("share_information", information=["name"], occurred_at="2016-03-01T12:00:00Z")
    assert missing_fact(doc, period(doc)) is None
    consular = act("inquire_status", purpose="consular_notification", subject={"role": "other"})
    assert missing_fact(consular, "BTA-2019") == "subject.in_custody for EXC-CONSULAR-NOTICE"
    assert missing_fact({**consular, "actor": CITY}, "BTA-2019") is None  # BTA-INQ-01: police
    assert missing_fact(act("inquire_status", actor=CITY, purpose="statistics"), "BTA-2019") is None


# -- invariants 4 and 5 -------------------------------------------------------------------


@pytest.mark.parametrize("when", [TODAY, "2012-06-01T12:00:00Z", "2016-03-01T12:00:00Z"])
@pytest.mark.parametrize("to", [{"agency": "ICE-HSI"}, {"agency": "OTHER", "forwards_to": ["CBP"]}])
def test_invariant_4_status_to_an_immigration_authority_always_carries_fed_1373(
    when: str, to: dict[str, Any]
) -> None:
    doc = act("share_information", counterpart=to, information=["citizenship"], occurred_at=when)
    assert broken(doc, ALLOW) >= {"4"}
    assert broken(doc, decision("BTA-INFO-01")) == {"4"}
    assert broken(doc, decision(escalations=("FED-1373-ESC",))) == set()
    assert broken(doc, decision("BTA-INFO-01", escalations=("FED-1373-ESC",))) == set()
    assert broken(doc, decision("TP-INPUT-01")) == set()


def test_invariant_5_deputization_is_never_allowed_under_bta_2019() -> None:
    doc = act("perform_immigration_function", purpose="public_safety")
    assert broken(doc, ALLOW) == {"5"}
    assert broken(doc, decision(escalations=("FED-1373-ESC",))) == {"5"}
    assert broken(doc, decision("BTA-ROLE-01")) == set()


# -- outcome and invariant 6 --------------------------------------------------------------


def test_the_outcome_must_follow_from_the_sets_and_allowed_from_the_outcome() -> None:
    doc = act("receive_detainer")
    assert broken(doc, {**decision("BTA-DET-01"), "outcome": "allow", "allowed": True}) >= {
        "outcome"}  # fmt: skip
    assert broken(doc, {**decision(escalations=("FED-1373-ESC",)), "outcome": "allow",
                        "allowed": True}) == {"outcome"}  # fmt: skip
    assert broken(doc, {**decision("BTA-DET-01"), "allowed": True}) == {"outcome"}
    assert broken(doc, {**ALLOW, "allowed": False}) == {"outcome"}
    assert broken(doc, ALLOW) == set()


def test_invariant_6_a_provision_deny_that_turns_into_an_allow_is_caught() -> None:
    base = decision("BTA-RES-01")
    assert check_pair("purpose", base, ALLOW) is not None
    assert check_pair("purpose", base, decision(exceptions=("EXC-PUBLIC-SAFETY",))) is not None
    assert check_pair("add_civil", base, decision(exceptions=("EXC-VISA-CERT", "EXC-TASK-FORCE")))
    assert check_pair("purpose", base, decision(escalations=("FED-1373-ESC",))) is None
    assert check_pair("purpose", base, decision("BTA-RES-01")) is None


def test_invariant_6_only_the_purpose_named_exceptions_or_an_input_deny_escape() -> None:
    base = decision("BTA-INQ-01")
    for name in ("EXC-VISA-CERT", "EXC-CONSULAR-NOTICE", "EXC-CRIMINAL-HISTORY"):
        assert check_pair("purpose", base, decision(exceptions=(name,))) is None
    assert check_pair("purpose", decision("TP-INPUT-01"), ALLOW) is None
    assert check_pair("purpose", ALLOW, ALLOW) is None
    with_visa = decision("BTA-INFO-01", exceptions=("EXC-VISA-CERT",))
    assert check_pair("drop_case", with_visa, decision(exceptions=("EXC-VISA-CERT",)))


def test_the_tally_keeps_five_counterexamples_in_full_and_counts_every_one() -> None:
    tally = Tally()
    for n in range(8):
        tally.count("1")
        tally.fail("1", "why", input={"n": n}, decision=ALLOW)
    assert tally.failed == {"1": 8}
    assert len(tally.examples["1"]) == 5
    assert '"n": 0' in tally.report()
    assert "8 x why" in tally.report()


# -- the space ----------------------------------------------------------------------------


def test_variants_change_only_what_invariant_6_names() -> None:
    base = act("share_information", counterpart={"agency": "ICE-ERO"}, information=["name"],
               purpose="public_safety", criminal_case={"id": CASE_ID},
               authority=[JCW, {"type": "civil_detainer", "issued_by": "ice_officer"}])  # fmt: skip
    found = variants(base)
    kinds = {kind for kind, _ in found}
    assert kinds == {"purpose", "add_authority", "add_civil", "drop_judicial", "drop_case"}
    assert sum(kind == "purpose" for kind, _ in found) == len(PURPOSES) - 1
    for kind, doc in found:
        changed = {k for k in base.keys() | doc.keys() if base.get(k) != doc.get(k)}
        expected = {"purpose": {"purpose"}, "add_authority": {"counterpart", "operation"},
                    "add_civil": {"authority"}, "drop_judicial": {"authority"},
                    "drop_case": {"criminal_case"}}[kind]  # fmt: skip
        assert changed, (kind, doc)
        assert changed <= expected, (kind, doc)
    [dropped] = [doc for kind, doc in found if kind == "drop_judicial"]
    assert dropped["authority"] == [{"type": "civil_detainer", "issued_by": "ice_officer"}]
    local = act("inquire_status", counterpart={"agency": "FBI"}, purpose="statistics")
    assert "purpose" not in {kind for kind, _ in variants(local)}


def test_the_space_is_well_formed_where_intended_and_malformed_where_meant() -> None:
    rng = random.Random(7)
    space = core_bases(rng)
    assert len(space) > 50_000
    assert {d["action"] for d in space} >= {"share_information", "perform_immigration_function"}
    assert {tuple(d.get("information", ())) for d in space} >= set(INFO_SETS)
    for doc in random.Random(1).sample(space, 3000):
        text = json.dumps(doc)
        if '"detainer"' in text or "consular_notification" in text:
            continue  # revision 2 vocabulary the published SDK schema may not know yet
        DecisionRequest.from_dict(doc)
    for label, doc in malformed(rng, 400):
        with pytest.raises((InvalidRequest, TypeError, AttributeError)):
            DecisionRequest.from_dict(doc)
        assert label
    for label, doc in incomplete(rng, 200):
        assert missing_fact(doc, period(doc)), label


def test_period_names_the_law_in_force_on_the_day() -> None:
    assert period(act("detain", occurred_at="2014-08-19T12:00:00Z")) == "US-1373"
    assert period(act("detain", occurred_at="2014-08-20T12:00:00Z")) == "BTA-2014"
    assert period(act("detain", occurred_at="2017-07-24T12:00:00Z")) == "MA-LUNN"
    assert period(act("detain", occurred_at="2019-12-19T12:00:00Z")) == "BTA-2019"
    assert period({"action": "detain"}) == "BTA-2019"
    assert period(act("detain", occurred_at="1990-01-01T00:00:00Z")) == "none"
    assert period(act("detain", occurred_at="soon")) is None
    assert make("detain", random.Random(0), date=None).get("occurred_at") is None
