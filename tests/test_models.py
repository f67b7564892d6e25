"""Unit tests for the value objects: requests, decisions, and the public names."""

from __future__ import annotations

import contextlib
import copy
import json

import attrs
import pytest

from conftest import WORKED_EXAMPLES
from trustpolicy import (
    Action,
    Actor,
    ActorRole,
    Authority,
    Decision,
    DecisionRequest,
    Finding,
    InvalidRequest,
    Outcome,
    Subject,
)
from trustpolicy.contract import _models as models

EXAMPLES = json.loads(WORKED_EXAMPLES.read_text())

DECISION = {
    "outcome": "allow",
    "allowed": True,
    "violations": [],
    "exceptions": [
        {
            "rule": "EXC-JUDICIAL-WARRANT",
            "title": "Judicial criminal warrant",
            "lifts": "BTA-DET-01, MA-LUNN-01",
            "lifted": ["BTA-DET-01", "MA-LUNN-01"],
            "citation": "Boston Trust Act (2019) § 2",
            "message": "A judge signed a criminal warrant.",
            "confidence": "text",
            "some_new_field": 1,
        }
    ],
    "escalations": [],
    "obligations": [{"rule": "BTA-RPT-01", "message": "Record the detainer."}],
    "policy": {"revision": "abc123"},
    "an_additive_field": {"x": 1},
}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["name"])
def test_worked_example_round_trips_exactly(example: dict) -> None:
    request = DecisionRequest.from_dict(example["input"])
    assert request.to_input() == example["input"]
    assert json.loads(request.to_json()) == example["input"]
    assert DecisionRequest.from_dict(request.to_input()) == request


def test_strings_become_enums_and_unset_optionals_are_omitted() -> None:
    request = DecisionRequest(
        action="detain",
        actor=Actor(agency="BPD", role="police_officer"),
        subject=Subject(role="arrestee", eligible_for_release=True),
        authority=[Authority(type="civil_detainer")],
        information=[],
    )
    assert request.action is Action.DETAIN
    assert request.actor.role is ActorRole.POLICE_OFFICER
    assert request.authority == (Authority(type="civil_detainer"),)
    assert request.to_input() == {
        "action": "detain",
        "actor": {"agency": "BPD", "role": "police_officer"},
        "subject": {"role": "arrestee", "eligible_for_release": True},
        "authority": [{"type": "civil_detainer"}],
        "information": [],
    }


def test_every_problem_is_listed_with_its_path() -> None:
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest.from_dict(
            {
                "action": "deport",
                "actor": {"agency": "", "role": "sheriff"},
                "subject": {"role": "arrestee", "in_custody": "yes", "charges": [{"severity": 3}]},
                "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}, {}],
                "information": ["name", "dna"],
                "occurred_at": "yesterday",
            }
        )
    assert info.value.problems == (
        (
            "action: must be one of inquire_status, detain, arrest, transfer_custody, "
            "share_information, commit_resources, perform_immigration_function, join_operation, "
            "receive_detainer"
        ),
        "actor.agency: must be a non-empty string",
        "actor.role: must be one of police_officer, city_employee",
        "subject.in_custody: must be true or false",
        (
            "subject.charges[0].severity: must be one of infraction, misdemeanor, felony, "
            "serious_violent_felony"
        ),
        "authority[1].type: required",
        (
            "information[1]: must be one of name, date_of_birth, home_address, work_address, "
            "phone, physical_description, photo, incident_report, release_date, custody_status, "
            "immigration_status, citizenship, criminal_history, aggregate_statistics"
        ),
        "occurred_at: must be an RFC 3339 date-time",
    )
    assert isinstance(info.value, ValueError)


def test_from_dict_names_unknown_fields_and_nulls() -> None:
    data = copy.deepcopy(EXAMPLES[0]["input"])
    data["reason"] = "x"
    data["actor"]["badge"] = 1
    data["actor"]["district"] = None
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest.from_dict(data)
    assert info.value.problems == (
        "request: unknown field(s) reason",
        "actor: unknown field(s) badge",
        "actor.district: must not be null",
    )


def test_missing_required_fields_and_wrong_containers() -> None:
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest.from_dict({"subject": [], "authority": {"type": "civil_detainer"}})
    assert info.value.problems == (
        "action: required",
        "actor: required",
        "subject: must be Subject (an object), not list",
        "authority: must be a list",
    )


def test_direct_construction_reports_nested_paths() -> None:
    with pytest.raises(InvalidRequest) as info:
        DecisionRequest(
            action="detain",
            actor=Actor(agency="BPD", role="chief"),
            subject={"role": "arrestee"},  # type: ignore[arg-type]
        )
    assert info.value.problems == (
        "actor.role: must be one of police_officer, city_employee",
        "subject: must be Subject (an object), not dict",
    )


def _count_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the schema walks of a whole request (``_check`` recurses for nested objects)."""
    calls = [0]
    check = models._check

    def counting(cls: type, data: object, path: str, problems: list[str]) -> None:
        if cls is DecisionRequest:
            calls[0] += 1
        check(cls, data, path, problems)

    monkeypatch.setattr(models, "_check", counting)
    return calls


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["name"])
def test_from_dict_walks_the_input_once(monkeypatch: pytest.MonkeyPatch, example: dict) -> None:
    walks = _count_walks(monkeypatch)
    request = DecisionRequest.from_dict(example["input"])
    assert walks[0] == 1
    assert json.loads(request.to_json()) == example["input"]
    walks[0] = 0
    with pytest.raises(InvalidRequest):
        DecisionRequest.from_dict({**example["input"], "bogus": 1})
    assert walks[0] == 1


def test_direct_construction_walks_once_and_is_never_taken_as_prechecked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks = _count_walks(monkeypatch)
    DecisionRequest(action="detain", actor=Actor(agency="BPD", role="police_officer"))
    assert walks[0] == 1
    # Before and after from_dict (which succeeds, then fails), a hand-built request with a
    # bad enumeration value is still checked in full.
    for data in (EXAMPLES[0]["input"], {**EXAMPLES[0]["input"], "action": "deport"}, None):
        if data is not None:
            with contextlib.suppress(InvalidRequest):
                DecisionRequest.from_dict(data)
        with pytest.raises(InvalidRequest) as info:
            DecisionRequest(action="deport", actor=Actor(agency="BPD", role="sheriff"))
        assert [p.split(":")[0] for p in info.value.problems] == ["action", "actor.role"]
    request = DecisionRequest.from_dict(EXAMPLES[0]["input"])
    with pytest.raises(InvalidRequest, match=r"^invalid request: action: must be one of"):
        attrs.evolve(request, action="deport")
    assert models._PRECHECKED.get() is False


def test_occurred_at_accepts_rfc3339() -> None:
    base = EXAMPLES[2]["input"]
    request = DecisionRequest.from_dict({**base, "occurred_at": "2026-03-01T10:00:00Z"})
    assert request.occurred_at == "2026-03-01T10:00:00Z"
    with pytest.raises(InvalidRequest):
        DecisionRequest.from_dict({**base, "occurred_at": "2026-03-01T10:00:00"})


def test_decision_parses_the_contract_and_tolerates_additive_fields() -> None:
    decision = Decision.from_result(DECISION, decision_id="d-1")
    assert decision.outcome is Outcome.ALLOW
    assert decision.allowed is True
    assert decision.policy_revision == "abc123"
    assert decision.decision_id == "d-1"
    assert decision.exceptions[0].lifts == ("BTA-DET-01", "MA-LUNN-01")
    assert decision.obligations == (Finding(rule="BTA-RPT-01", message="Record the detainer."),)
    assert decision.rules == {"EXC-JUDICIAL-WARRANT", "BTA-RPT-01"}


def test_lifts_string_is_split_when_lifted_is_absent() -> None:
    result = copy.deepcopy(DECISION)
    del result["exceptions"][0]["lifted"]
    del result["exceptions"][0]["title"]
    del result["policy"]
    decision = Decision.from_result(result)
    assert decision.exceptions[0].lifts == ("BTA-DET-01", "MA-LUNN-01")
    assert decision.exceptions[0].title is None
    assert decision.policy_revision is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"outcome": None}, "outcome: must be one of allow, deny, escalate, got None"),
        ({"allowed": "yes"}, "allowed: must be true or false"),
        ({"outcome": "deny"}, "allowed: is True while outcome is 'deny'"),
        ({"violations": None}, "violations: must be a list"),
        ({"escalations": [{"rule": "FED-1373-ESC"}]}, "escalations[0].message: must be a string"),
        ({"obligations": ["BTA-RPT-01"]}, "obligations[0]: must be an object"),
        ({"policy": {"revision": 7}}, "policy.revision: must be a string"),
    ],
)
def test_anything_else_is_not_a_decision(change: dict, problem: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        Decision.from_result({**DECISION, **change})
    assert problem in info.value.problems


def test_violations_never_come_with_an_allow() -> None:
    violation = {"rule": "BTA-DET-01", "message": "No hold."}
    with pytest.raises(InvalidRequest, match="although there are violations"):
        Decision.from_result({**DECISION, "violations": [violation]})


@pytest.mark.parametrize("result", [None, [], "allow", True])
def test_undefined_or_scalar_result_is_not_a_decision(result: object) -> None:
    with pytest.raises(InvalidRequest, match="must be a decision object"):
        Decision.from_result(result)


def test_engine_failure_denies_with_tp_engine_01() -> None:
    decision = Decision.engine_failure("timed out")
    assert decision.outcome is Outcome.DENY
    assert decision.allowed is False
    assert [v.rule for v in decision.violations] == ["TP-ENGINE-01"]
    assert "timed out" in decision.explain()


def test_explain_reads_as_sentences_for_an_officer() -> None:
    decision = Decision.from_result(
        {
            **DECISION,
            "outcome": "deny",
            "allowed": False,
            "exceptions": [],
            "violations": [
                {
                    "rule": "BTA-DET-01",
                    "message": "Release the person.",
                    "citation": "Boston Trust Act (2019) § 2",
                    "confidence": "interpretation",
                }
            ],
        }
    )
    assert decision.explain().splitlines() == [
        "Not allowed.",
        (
            "Not allowed: Release the person. (BTA-DET-01, Boston Trust Act (2019) § 2) "
            "This rests on an interpretation that still needs legal sign-off."
        ),
        "Required: Record the detainer. (BTA-RPT-01)",
    ]
