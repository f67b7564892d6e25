"""Contract revision 2 in the SDK's types: when the act happened, the detainer as received,
the law a decision applied and the version behind each entry, typed enumerations, problems
as objects, and the decision document given back by ``Decision.to_dict``.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import typing
from zoneinfo import ZoneInfo

import attrs
import pytest

from conftest import ROOT
from trustpolicy import (
    Action,
    Actor,
    Confidence,
    Decision,
    DecisionRequest,
    Detainer,
    DetainerBasis,
    DetainerForm,
    Finding,
    InvalidRequest,
    Law,
    Outcome,
    Problem,
    Purpose,
    ReceivedVia,
    Version,
)
from trustpolicy.contract import _decision, _enums
from trustpolicy.contract._times import rfc3339

BOSTON = ZoneInfo("America/New_York")
LAW_DATA = json.loads((ROOT / "policies" / "trustpolicy" / "law" / "data.json").read_text())
BASE = {"action": "receive_detainer", "actor": {"agency": "BPD", "role": "police_officer"}}
ACTOR = Actor(agency="BPD", role="police_officer", district="C-11")


# -- occurred_at: when the act happens selects the law in force ------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2017, 3, 15, 9, 30, tzinfo=BOSTON), "2017-03-15T09:30:00-04:00"),
        (dt.datetime(2017, 3, 1, 9, 30, tzinfo=BOSTON), "2017-03-01T09:30:00-05:00"),
        (dt.datetime(2019, 12, 19, 15, 0, tzinfo=dt.UTC), "2019-12-19T15:00:00Z"),
        (dt.datetime(2020, 1, 2, 3, 4, 5, 600, tzinfo=dt.UTC), "2020-01-02T03:04:05.000600Z"),
        # an offset with seconds (a historical zone) has no RFC 3339 form: the same instant in UTC
        (
            dt.datetime(2018, 5, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=-4, seconds=-56))),
            "2018-05-01T16:00:56Z",
        ),
    ],
)
def test_occurred_at_takes_an_aware_datetime_as_rfc3339(moment: dt.datetime, text: str) -> None:
    request = DecisionRequest(action=Action.RECEIVE_DETAINER, actor=ACTOR, occurred_at=moment)
    assert request.occurred_at == text
    assert request.to_input()["occurred_at"] == text
    assert dt.datetime.fromisoformat(text) == moment  # the same instant
    assert DecisionRequest.from_dict(request.to_input()) == request
    assert DecisionRequest.from_dict({**BASE, "occurred_at": moment}).occurred_at == text


def test_occurred_at_refuses_a_naive_datetime_naming_the_field() -> None:
    naive = dt.datetime(2017, 3, 15, 9, 30)  # noqa: DTZ001 - the point of the test
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest(action="receive_detainer", actor=ACTOR, occurred_at=naive)
    (problem,) = info.value.problems
    assert problem.path == "occurred_at"
    assert "time-zone-aware datetime" in problem.message
    assert str(info.value).startswith("invalid request: occurred_at: must be a time-zone-aware")
    with pytest.raises(InvalidRequest, match=r"detainer\.received_at: must be a time-zone-aware"):
        DecisionRequest.from_dict({**BASE, "detainer": {"received_at": naive}})


@pytest.mark.parametrize("text", ["2017-03-15", "2017-03-15T09:30:00", "15/03/2017", ""])
def test_occurred_at_refuses_text_that_is_not_rfc3339(text: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest.from_dict({**BASE, "occurred_at": text})
    assert [p.path for p in info.value.problems] == ["occurred_at"]


def test_rfc3339_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        rfc3339(dt.datetime(2017, 3, 15))  # noqa: DTZ001


# -- the detainer as received, and the consular notification purpose -------------------------


def test_detainer_is_a_value_object_with_typed_fields() -> None:
    received = dt.datetime(2017, 3, 14, 22, 5, tzinfo=BOSTON)
    detainer = Detainer(
        form=DetainerForm.I_247A,
        basis=["biometric_records_match", DetainerBasis.STATEMENTS_OR_EVIDENCE],
        received_via="fax",
        received_at=received,
        reference="BOS-1703-0042",
    )
    assert detainer.basis == (
        DetainerBasis.BIOMETRIC_RECORDS_MATCH,
        DetainerBasis.STATEMENTS_OR_EVIDENCE,
    )
    assert detainer.received_via is ReceivedVia.FAX
    request = DecisionRequest(action="receive_detainer", actor=ACTOR, detainer=detainer)
    assert request.to_input()["detainer"] == {
        "form": "I-247A",
        "basis": ["biometric_records_match", "statements_or_evidence"],
        "received_via": "fax",
        "received_at": "2017-03-14T22:05:00-04:00",
        "reference": "BOS-1703-0042",
    }
    assert DecisionRequest.from_dict(request.to_input()) == request


def test_detainer_problems_name_their_fields() -> None:
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest.from_dict(
            {
                **BASE,
                "detainer": {
                    "form": "I-247X",
                    "basis": ["hunch"],
                    "received_via": "pigeon",
                    "reference": "",
                    "number": 1,
                },
            }
        )
    assert sorted(p.path for p in info.value.problems) == [
        "detainer",
        "detainer.basis[0]",
        "detainer.form",
        "detainer.received_via",
        "detainer.reference",
    ]
    by_path = {p.path: p.message for p in info.value.problems}
    assert by_path["detainer.form"] == "must be one of I-247A, I-247D, I-247N, I-203, other"
    assert by_path["detainer"] == "unknown field(s) number"


def test_consular_notification_is_a_purpose() -> None:
    request = DecisionRequest.from_dict(
        {
            "action": "inquire_status",
            "actor": {"agency": "BPD", "role": "police_officer"},
            "subject": {"role": "arrestee", "in_custody": True},
            "purpose": "consular_notification",
        }
    )
    assert request.purpose is Purpose.CONSULAR_NOTIFICATION


# -- typed enumerations: every enumeration has its literal type, and they agree ---------------


@pytest.mark.parametrize("kind", list(_enums.LITERALS), ids=lambda k: k.__name__)
def test_each_literal_type_spells_its_enumeration(kind: type) -> None:
    assert typing.get_args(_enums.LITERALS[kind]) == tuple(m.value for m in kind)


def test_decision_enumerations_match_the_law_data_and_their_literals() -> None:
    law_ids = [v["id"] for v in LAW_DATA["versions"]]
    assert [v.value for v in Version] == [*law_ids, "engine"]
    assert typing.get_args(_decision.VersionValue) == tuple(v.value for v in Version)
    assert typing.get_args(_decision.ConfidenceValue) == tuple(c.value for c in Confidence)


# -- the decision: law, entry versions, to_dict ------------------------------------------------

DECISION_2017 = {
    "outcome": "deny",
    "allowed": False,
    "violations": [
        {
            "rule": "BTA-DET-01",
            "title": "No detention on a civil detainer or administrative warrant after release",
            "citation": "Boston Code § 11-1.9; Boston Trust Act (2014) § 2",
            "message": "Boston Trust Act (2014): release them.",
            "confidence": "text",
            "version": "BTA-2014",
        }
    ],
    "exceptions": [],
    "escalations": [],
    "obligations": [
        {
            "rule": "BTA-RPT-01",
            "message": "Record this civil detainer request.",
            "confidence": "reported",
            "version": "BTA-2014",
        }
    ],
    "policy": {"revision": "r1"},
    "law": {"date": "2017-03-15", "versions": ["US-1373", "BTA-2014"]},
}


def test_decision_carries_the_law_and_each_entry_its_version() -> None:
    decision = Decision.from_result(DECISION_2017, decision_id="d-7")
    assert decision.law == Law(date=dt.date(2017, 3, 15), versions=("US-1373", "BTA-2014"))
    assert decision.law.versions == (Version.US_1373, Version.BTA_2014)
    assert Version.MA_LUNN not in decision.law.versions  # Lunn came in July 2017
    assert [f.version for f in decision.findings] == [Version.BTA_2014, Version.BTA_2014]
    assert decision.violations[0].confidence is Confidence.TEXT


def test_to_dict_gives_back_the_decision_document() -> None:
    decision = Decision.from_result(DECISION_2017, decision_id="d-7")
    assert decision.to_dict() == {**DECISION_2017, "decision_id": "d-7"}
    assert Decision.from_result(decision.to_dict(), decision_id="d-7") == decision
    json.dumps(decision.to_dict())  # JSON-ready


def test_to_dict_keeps_exceptions_lifts_and_input_problems() -> None:
    decision = Decision(
        outcome=Outcome.DENY,
        allowed=False,
        violations=(
            Finding(
                rule="TP-INPUT-01",
                message="Correct these fields.",
                confidence="engine",
                version="engine",
                problems=["occurred_at: lies in the future; a decision applies the law"],
            ),
        ),
        exceptions=(Finding(rule="EXC-JUDICIAL-WARRANT", message="m", lifts=["BTA-DET-01"]),),
    )
    doc = decision.to_dict()
    assert doc["violations"][0]["problems"] == [
        "occurred_at: lies in the future; a decision applies the law"
    ]
    assert decision.violations[0].problems[0].path == "occurred_at"
    assert doc["exceptions"][0]["lifts"] == "BTA-DET-01"
    assert doc["exceptions"][0]["lifted"] == ["BTA-DET-01"]
    assert doc["law"] == {"date": None, "versions": []}
    assert Decision.from_result(doc) == decision


def test_engine_failure_names_the_engine_as_its_version() -> None:
    decision = Decision.engine_failure("timed out")
    assert decision.violations[0].version is Version.ENGINE
    assert decision.law == Law()
    assert decision.to_dict()["law"] == {"date": None, "versions": []}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"law": []}, "law: must be an object with date and versions"),
        ({"law": {"date": "15/03/2017", "versions": []}}, "law.date: must be a YYYY-MM-DD"),
        ({"law": {"date": "2017-02-30", "versions": []}}, "law.date: must be a YYYY-MM-DD"),
        ({"law": {"date": None, "versions": ["BTA-2099"]}}, "law.versions: must be a list of"),
        ({"law": {"date": None, "versions": ["engine"]}}, "law.versions: must be a list of"),
        ({"law": {"date": None, "versions": [{}]}}, "law.versions: must be a list of"),
        (
            {"obligations": [{"rule": "BTA-RPT-01", "message": "m", "version": "BTA-2020"}]},
            "obligations[0].version: must be one of US-1373, BTA-2014, MA-LUNN, BTA-2019, engine",
        ),
        (
            {"obligations": [{"rule": "BTA-RPT-01", "message": "m", "confidence": "sure"}]},
            "obligations[0].confidence: must be one of text, reported, interpretation, engine",
        ),
        (
            {"obligations": [{"rule": "BTA-RPT-01", "message": "m", "problems": "x"}]},
            "obligations[0].problems: must be a list of strings",
        ),
    ],
)
def test_a_wrong_law_or_version_is_not_a_decision(change: dict, problem: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        Decision.from_result({**DECISION_2017, **change})
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


# -- problems as objects -------------------------------------------------------------------------


def test_problems_are_objects_that_read_as_text() -> None:
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest.from_dict({"action": "detain", "actor": {"role": "chief"}, "x": 1})
    problems = info.value.problems
    assert all(isinstance(p, Problem) for p in problems)
    assert [(p.path, p.message) for p in problems] == [
        ("request", "unknown field(s) x"),
        ("actor.agency", "required"),
        ("actor.role", "must be one of police_officer, city_employee"),
    ]
    assert problems[1] == "actor.agency: required"  # and compares as its text
    assert str(info.value) == (
        "invalid request: request: unknown field(s) x; actor.agency: required; "
        "actor.role: must be one of police_officer, city_employee"
    )
    again = pickle.loads(pickle.dumps(info.value))
    assert again.problems == problems
    assert [p.path for p in again.problems] == [p.path for p in problems]


def test_a_problem_from_a_file_names_its_source() -> None:
    from trustpolicy.contract._inputs import load_requests  # noqa: PLC0415

    with pytest.raises(InvalidRequest) as info:
        load_requests(json.dumps([BASE, {**BASE, "purpose": "whim"}]), "batch.json")
    (problem,) = info.value.problems
    assert (problem.source, problem.path) == ("batch.json[1]", "purpose")
    assert str(problem).startswith("batch.json[1]: purpose: must be one of")


def test_engine_problems_are_read_into_path_and_message() -> None:
    problem = Problem.parse("authority[0].issued_by: required for a judicial_order: who")
    assert (problem.path, problem.message) == (
        "authority[0].issued_by",
        "required for a judicial_order: who",
    )
    assert Problem.parse("no path here").path == "request"
    assert repr(Problem("a", "b")) == "Problem(path='a', message='b')"


def test_a_request_stays_frozen_and_evolves_through_the_check() -> None:
    request = DecisionRequest(action="receive_detainer", actor=ACTOR, detainer=Detainer())
    with pytest.raises(InvalidRequest, match="occurred_at: must be a time-zone-aware"):
        attrs.evolve(request, occurred_at=dt.datetime(2017, 3, 15))  # noqa: DTZ001
