"""Hostile and odd input against one real OPA agent, and contract invariants by hypothesis.

Raw HTTP bodies go straight to OPA (not only through the SDK): oversized, deeply nested,
wrongly typed, unicode tricks, duplicate keys. Each gets a clear error (TP-INPUT-01 deny
from OPA, HTTP 400, or InvalidRequest from the SDK), never an allow, and the agent keeps
deciding correctly for everyone else. Property tests generate thousands of requests and
evaluate them 100 at a time through ``data.trustpolicy.batch``.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustpolicy import (
    Action,
    ActorRole,
    Agency,
    AuthorityType,
    CaseCategory,
    Client,
    DecisionRequest,
    Information,
    InvalidRequest,
    Issuer,
    LocalOPA,
    OperationPurpose,
    Purpose,
    Severity,
    SubjectRole,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = json.loads(
    (Path(__file__).parent / "data" / "worked-examples.json").read_text(encoding="utf-8")
)
MB = 1024 * 1024
IMMIGRATION = {"ICE-ERO", "ICE-HSI", "CBP", "USCIS"}
JUDICIAL = {"federal_judge", "state_judge", "magistrate"}
CIVIL_PAPERS = ["civil_detainer", "ice_administrative_warrant", "removal_order"]


@pytest.fixture(scope="module")
def opa() -> Iterator[LocalOPA]:
    with LocalOPA(decision_logs=False) as agent:
        yield agent


@pytest.fixture(scope="module")
def client(opa: LocalOPA) -> Iterator[Client]:
    with Client(opa.url, timeout=30) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def http(opa: LocalOPA) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def post(http: requests.Session, opa: LocalOPA, body: bytes, path: str = "decision"):
    return http.post(
        f"{opa.url}/v1/data/trustpolicy/{path}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


def batch(http: requests.Session, opa: LocalOPA, inputs: list[Any]) -> list[dict[str, Any]]:
    answer = post(http, opa, json.dumps({"input": {"requests": inputs}}).encode(), "batch")
    assert answer.status_code == 200, answer.text[:500]
    result: list[dict[str, Any]] = answer.json()["result"]
    assert len(result) == len(inputs)
    return result


def rules(decision: dict[str, Any], kind: str = "violations") -> set[str]:
    return {entry["rule"] for entry in decision[kind]}


def assert_input_denied(decision: dict[str, Any], what: object = "") -> None:
    """Denied by TP-INPUT-01 alone: no provision read the malformed request."""
    assert decision["outcome"] == "deny", what
    assert decision["allowed"] is False, what
    assert rules(decision) == {"TP-INPUT-01"}, what
    assert rules(decision, "obligations") <= {"BTA-RPT-01"}, what


def assert_refused_by_sdk_or_engine(client: Client, doc: Any) -> str:
    """The SDK refuses ``doc`` (InvalidRequest), or the engine denies it with TP-INPUT-01.

    The SDK checks everything the engine's schema checks (types, enumerations, unknown
    fields, patterns, lengths, sizes), so it refuses ``doc`` itself. Returns who refused it.
    """
    with pytest.raises(InvalidRequest):
        DecisionRequest.from_dict(doc)
    with pytest.raises(InvalidRequest):
        client.decide(doc)  # a mapping is checked before anything is sent
    return "sdk"


def assert_still_serving(http: requests.Session, opa: LocalOPA) -> None:
    """Every worked example is still decided exactly as expected."""
    for example, decision in zip(
        EXAMPLES, batch(http, opa, [e["input"] for e in EXAMPLES]), strict=True
    ):
        assert decision["outcome"] == example["expect"]["outcome"], example["name"]
        assert sorted(rules(decision)) == example["expect"]["violations"]


def variant(path: tuple[str | int, ...], value: Any, base: dict[str, Any] | None = None) -> Any:
    """A copy of worked example 5 (release date to ICE-ERO: deny) with one value replaced."""
    doc = copy.deepcopy(base if base is not None else FULL)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


# Every field of the contract filled in; deny (BTA-INFO-02) as it stands.
FULL: dict[str, Any] = {
    "action": "share_information",
    "actor": {"agency": "BPD", "role": "police_officer", "district": "C-11"},
    "subject": {
        "role": "arrestee",
        "in_custody": True,
        "eligible_for_release": False,
        "charges": [{"severity": "misdemeanor"}],
    },
    "counterpart": {"agency": "ICE-ERO", "forwards_to": ["ICE-ERO"]},
    "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
    "purpose": "civil_immigration_enforcement",
    "criminal_case": {"id": "BPD-26-0001", "statute": "MGL c.266 s.30", "category": "other"},
    "information": ["release_date"],
    "operation": {"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"},
    "occurred_at": "2026-03-01T10:00:00Z",
}
LEAVES: list[tuple[tuple[str | int, ...], Any]] = [
    (("action",), "share_information"),
    (("actor",), FULL["actor"]),
    (("actor", "agency"), "BPD"),
    (("actor", "role"), "police_officer"),
    (("actor", "district"), "C-11"),
    (("subject",), FULL["subject"]),
    (("subject", "role"), "arrestee"),
    (("subject", "in_custody"), True),
    (("subject", "eligible_for_release"), False),
    (("subject", "charges"), FULL["subject"]["charges"]),
    (("subject", "charges", 0), {"severity": "misdemeanor"}),
    (("subject", "charges", 0, "severity"), "misdemeanor"),
    (("counterpart",), FULL["counterpart"]),
    (("counterpart", "agency"), "ICE-ERO"),
    (("counterpart", "forwards_to"), ["ICE-ERO"]),
    (("counterpart", "forwards_to", 0), "ICE-ERO"),
    (("authority",), FULL["authority"]),
    (("authority", 0), FULL["authority"][0]),
    (("authority", 0, "type"), "civil_detainer"),
    (("authority", 0, "issued_by"), "ice_officer"),
    (("purpose",), "civil_immigration_enforcement"),
    (("criminal_case",), FULL["criminal_case"]),
    (("criminal_case", "id"), "BPD-26-0001"),
    (("criminal_case", "statute"), "MGL c.266 s.30"),
    (("criminal_case", "category"), "other"),
    (("information",), ["release_date"]),
    (("information", 0), "release_date"),
    (("operation",), FULL["operation"]),
    (("operation", "primary_purpose"), "immigration_enforcement"),
    (("operation", "partner"), "ICE-ERO"),
    (("occurred_at",), "2026-03-01T10:00:00Z"),
]
WRONG_TYPES: list[Any] = [None, 0, -1.5, True, "x", [], [1], {}, {"a": 1}]


def _same_json_type(a: Any, b: Any) -> bool:
    kinds = (bool, int | float, str, list, dict, type(None))
    return any(isinstance(a, k) and isinstance(b, k) for k in kinds)


# -- hostile raw bodies ------------------------------------------------------------------------


def test_the_full_request_is_valid_to_start_with(http, opa) -> None:
    DecisionRequest.from_dict(FULL)
    (decision,) = batch(http, opa, [FULL])
    assert decision["outcome"] == "deny"
    assert "BTA-INFO-02" in rules(decision)


def test_wrong_type_in_every_field_is_denied_by_the_engine_and_refused_by_the_sdk(
    http, opa
) -> None:
    cases = [
        (path, wrong)
        for path, original in LEAVES
        for wrong in WRONG_TYPES
        if not _same_json_type(wrong, original)
    ]
    docs = [variant(path, wrong) for path, wrong in cases]
    for (path, wrong), decision in zip(cases, batch(http, opa, docs), strict=True):
        assert_input_denied(decision, (path, wrong))
    for case, doc in zip(cases, docs, strict=True):
        with pytest.raises(InvalidRequest):
            DecisionRequest.from_dict(doc)
        assert case[0] in [p for p, _ in LEAVES]
    assert len(cases) > 200
    assert_still_serving(http, opa)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"input"',
        b'{"input": []}',
        b'{"input": "detain"}',
        b'{"input": 1e999}',
        b'{"input": {"action": "detain", "actor": {"agency": "BPD", "role": "police_officer"}}',
        b'{"input": {"action": "\xff\xfe"}}',
        b"\xef\xbb\xbf" + json.dumps({"input": EXAMPLES[1]["input"]}).encode(),
    ],
    ids=[
        "array",
        "string",
        "input-array",
        "input-string",
        "huge-number",
        "truncated",
        "invalid-utf8",
        "utf8-bom",
    ],
)
def test_malformed_bodies_get_an_error_or_a_deny(http, opa, body) -> None:
    answer = post(http, opa, body)
    if answer.status_code == 200:
        result = answer.json().get("result")
        assert result is not None, answer.text
        assert_input_denied(result, body[:40])
    else:
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "invalid_parameter"
    assert_still_serving(http, opa)


def test_oversized_bodies_are_denied_and_others_keep_being_served(http, opa, client) -> None:
    big_string = variant(("actor", "agency"), "B" * (5 * MB))
    big_unknown = {**EXAMPLES[1]["input"], "attachment": "A" * (5 * MB)}  # example 2: allow
    big_list = variant(("information",), ["name"] * 400_000)  # ~3 MB; at most 32 allowed
    served: list[str] = []
    stop = threading.Event()

    def bystander() -> None:
        with Client(opa.url, timeout=30) as other:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                served.append(other.decide(EXAMPLES[1]["input"]).outcome.value)

    thread = threading.Thread(target=bystander)
    thread.start()
    try:
        for doc in (big_string, big_unknown, big_list):
            body = json.dumps({"input": doc}).encode()
            assert len(body) > 3 * MB
            answer = post(http, opa, body)
            assert answer.status_code == 200
            assert_input_denied(answer.json()["result"])
            assert_refused_by_sdk_or_engine(client, doc)
    finally:
        stop.set()
        thread.join(60)
    assert served
    assert set(served) == {"allow"}  # the bystander's own request, decided correctly
    assert_still_serving(http, opa)


@pytest.mark.parametrize(
    ("method", "body"),
    [("POST", b""), ("POST", b"{}"), ("POST", b"null"),
     ("POST", b'{"inputs": {"action": "detain"}}'), ("POST", b'{"input": null}'), ("GET", None)],
    ids=["empty", "object", "null", "misspelt-input", "input-null", "get"],
)  # fmt: skip
def test_request_without_an_input_document_is_never_allowed(http, opa, method, body) -> None:
    answer = http.request(method, f"{opa.url}/v1/data/trustpolicy/decision", data=body, timeout=10)
    assert answer.status_code != 200 or answer.json()["result"]["allowed"] is False, answer.text
    if answer.status_code == 200:
        assert_input_denied(answer.json()["result"])


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_deep_nesting_is_an_error_or_a_deny(http, opa, depth) -> None:
    nested = "[" * depth + "]" * depth
    body = (
        b'{"input": {"action": "detain", "actor": {"agency": '
        + nested.encode()
        + b', "role": "police_officer"}}}'
    )
    answer = post(http, opa, body)
    if answer.status_code == 200:
        assert_input_denied(answer.json()["result"], depth)
    else:
        assert answer.status_code == 400, answer.text[:300]
    assert_still_serving(http, opa)


HOMOGLYPHS = [
    "ICE\u2010ERO",  # Unicode hyphen
    "ICE\u2011ERO",  # non-breaking hyphen
    "ICE\u2212ERO",  # minus sign
    "\u0406\u0421\u0415-ERO",  # Cyrillic I, S, E
    "\uff29\uff23\uff25-ERO",  # fullwidth
    "ICE-ERO\u200b",  # zero-width space
    "\u200dICE-ERO",  # zero-width joiner
    "\u202eORE-ECI",  # right-to-left override
    "ICE-ERO\u0000",  # NUL
    "ICE-ERO\ufeff",  # byte-order mark
    "ice-ero",
    " ICE-ERO",
    "ICE-ERO ",
    "ICE-E\u0301RO",  # combining accent
]


def test_unicode_tricks_in_enumerations_are_denied(http, opa) -> None:
    docs = []
    for trick in HOMOGLYPHS:
        docs += [
            variant(("counterpart", "agency"), trick),
            variant(("counterpart", "forwards_to", 0), trick),
            variant(("operation", "partner"), trick),
            variant(("action",), "share_information" + trick[-1]),
            variant(("information", 0), "release" + trick[-1] + "date"),
        ]
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert_input_denied(decision, doc)
        with pytest.raises(InvalidRequest):
            DecisionRequest.from_dict(doc)
    assert_still_serving(http, opa)


@pytest.mark.parametrize(
    "trick", ["\u200b", "\u202e", "\u2066", "\u0000", "\u001b[31m", "\ufeff", "\u0085"]
)
@pytest.mark.parametrize(
    "path", [("actor", "agency"), ("criminal_case", "id"), ("criminal_case", "statute")]
)
def test_invisible_and_control_characters_in_free_text_are_denied(
    http, opa, client, path, trick
) -> None:
    doc = variant(path, "BPD" + trick + "1")
    (decision,) = batch(http, opa, [doc])
    assert_input_denied(decision, (path, trick))
    assert_refused_by_sdk_or_engine(client, doc)


def test_unknown_keys_that_look_like_known_ones_are_denied(http, opa) -> None:
    lookalikes = ["action\u0000", "act\u200bion", "\u0430ction", "Action", "action ", "__proto__"]
    docs = [{**FULL, key: "receive_detainer"} for key in lookalikes]
    docs += [variant(("actor",), {**FULL["actor"], key: "x"}) for key in lookalikes]
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert_input_denied(decision, doc)
        with pytest.raises(InvalidRequest):
            DecisionRequest.from_dict(doc)


def test_duplicate_keys_are_decided_on_the_last_value_as_every_parser_here_reads_them(
    http, opa
) -> None:
    """OPA (Go) and Python both keep the last of duplicate keys: no parser differential.

    JSON that repeats a key cannot be told apart once parsed, so the engine cannot deny it;
    what matters is that the value decided on is the one the SDK and the decision log see.
    """
    allow = EXAMPLES[5]["input"]  # 6: ICE-HSI, documented trafficking case: allow
    assert allow["counterpart"] == {"agency": "ICE-HSI"}
    text = json.dumps({"input": allow})
    smuggled_last = text.replace('"agency": "ICE-HSI"', '"agency": "ICE-HSI", "agency": "ICE-ERO"')
    smuggled_first = text.replace('"agency": "ICE-HSI"', '"agency": "ICE-ERO", "agency": "ICE-HSI"')
    assert smuggled_last != text
    assert smuggled_first != text
    last = post(http, opa, smuggled_last.encode()).json()["result"]
    first = post(http, opa, smuggled_first.encode()).json()["result"]
    assert json.loads(smuggled_last)["input"]["counterpart"]["agency"] == "ICE-ERO"
    assert last["outcome"] == "deny"  # decided as ICE-ERO, as Python reads it too
    assert "BTA-INFO-01" in rules(last)
    assert first["outcome"] == "allow"  # decided as ICE-HSI: the value Python reads
    # A whole second "input" replaces the first one entirely.
    doubled = '{"input": ' + json.dumps(allow) + ', "input": {"action": "detain"}}'
    assert_input_denied(post(http, opa, doubled.encode()).json()["result"])


# -- property-based invariants from the contract ------------------------------------------------


def _values(kind: Any) -> list[str]:
    return [member.value for member in kind]


def _enum(kind: Any) -> st.SearchStrategy[str]:
    return st.sampled_from(_values(kind))


AUTHORITY = st.fixed_dictionaries(
    {"type": _enum(AuthorityType)}, optional={"issued_by": _enum(Issuer)}
)
REQUEST = st.fixed_dictionaries(
    {
        "action": _enum(Action),
        "actor": st.fixed_dictionaries(
            {"agency": st.sampled_from(["BPD", "Boston Public Health Commission", "ISD"]),
             "role": _enum(ActorRole)},
            optional={"district": st.sampled_from(["C-11", "D-4", "B-2", "A-1"])},
        ),
    },
    optional={
        "subject": st.fixed_dictionaries(
            {"role": _enum(SubjectRole)},
            optional={
                "in_custody": st.booleans(),
                "eligible_for_release": st.booleans(),
                "charges": st.lists(
                    st.fixed_dictionaries({"severity": _enum(Severity)}), max_size=3
                ),
            },
        ),
        "counterpart": st.fixed_dictionaries(
            {"agency": _enum(Agency)},
            optional={"forwards_to": st.lists(_enum(Agency), max_size=3)},
        ),
        "authority": st.lists(AUTHORITY, max_size=3),
        "purpose": _enum(Purpose),
        "criminal_case": st.fixed_dictionaries(
            {"id": st.sampled_from(["1:26-cr-0100", "BPD-26-00017"])},
            optional={
                "statute": st.sampled_from(["8 USC 1326", "18 USC 1546", "18 USC 1591"]),
                "category": _enum(CaseCategory),
            },
        ),
        "information": st.lists(_enum(Information), max_size=5),
        "operation": st.fixed_dictionaries(
            {"primary_purpose": _enum(OperationPurpose)},
            optional={"partner": _enum(Agency)},
        ),
    },
)  # fmt: skip
BATCHES = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SIZE = 20  # requests per batch: 100 x 20 = 2,000 requests per property


def _with(base: st.SearchStrategy[dict[str, Any]], **fields: st.SearchStrategy[Any]):
    return st.tuples(base, st.fixed_dictionaries(fields)).map(lambda p: {**p[0], **p[1]})


def _derived(decision: dict[str, Any]) -> str:
    if decision["violations"]:
        return "deny"
    return "escalate" if decision["escalations"] else "allow"


@BATCHES
@given(st.lists(REQUEST, min_size=SIZE, max_size=SIZE))
def test_outcome_is_always_derived_and_the_sdk_accepts_what_it_generates(opa, http, docs) -> None:
    for doc in docs:
        DecisionRequest.from_dict(doc)
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert decision["outcome"] == _derived(decision), doc
        assert decision["allowed"] is (decision["outcome"] == "allow"), doc
        if "TP-INPUT-01" in rules(decision):
            # An incomplete request is decided by TP-INPUT-01 alone; status information for
            # an immigration authority still goes to legal review (invariant 4).
            assert decision["outcome"] == "deny"
            assert {v["rule"] for v in decision["violations"]} == {"TP-INPUT-01"}
            assert {e["rule"] for e in decision["escalations"]} <= {"FED-1373-ESC"}
            assert not decision["exceptions"]


_WARRANTS = ["judicial_criminal_warrant", "state_criminal_warrant"]
NOT_A_JUDICIAL_WARRANT = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from([t for t in _values(AuthorityType) if t not in _WARRANTS])},
        optional={"issued_by": _enum(Issuer)},
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(_WARRANTS)},
        optional={"issued_by": st.sampled_from(["immigration_judge", "ice_officer"])},
    ),
)
# EXC-JUDICIAL-ORDER lifts BTA-INFO-02 only in a criminal matter (contract rev. 2); without
# a criminal_case an order from a judicial officer is no lift either.
NOT_A_JUDICIAL_BASIS = st.one_of(
    NOT_A_JUDICIAL_WARRANT.filter(lambda doc: doc["type"] != "judicial_order"),
    st.fixed_dictionaries(
        {"type": st.just("judicial_order")}, optional={"issued_by": _enum(Issuer)}
    ),
)
RELEASE_TO_ERO = _with(
    REQUEST,
    action=st.just("share_information"),
    counterpart=st.fixed_dictionaries(
        {"agency": st.just("ICE-ERO")},
        optional={"forwards_to": st.lists(_enum(Agency), max_size=2)},
    ),
    information=st.tuples(
        st.sampled_from(["release_date", "custody_status"]),
        st.lists(_enum(Information), max_size=4),
    ).map(lambda p: [p[0], *p[1]]),
    authority=st.lists(NOT_A_JUDICIAL_BASIS, max_size=3),
).map(lambda doc: {k: v for k, v in doc.items() if k != "criminal_case"})


@BATCHES
@given(st.lists(RELEASE_TO_ERO, min_size=SIZE, max_size=SIZE))
def test_release_information_to_ice_ero_without_a_judicial_warrant_is_never_allowed(
    opa, http, docs
) -> None:
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert decision["outcome"] == "deny", doc
        assert decision["allowed"] is False


DETAINER_HOLD = _with(
    REQUEST,
    action=st.just("detain"),
    subject=st.fixed_dictionaries(
        {"eligible_for_release": st.just(True), "in_custody": st.just(True)},
        optional={"role": _enum(SubjectRole)},
    ),
    authority=st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(CIVIL_PAPERS)},
            optional={"issued_by": st.sampled_from(["immigration_judge", "ice_officer"])},
        ),
        min_size=1,
        max_size=3,
    ),
)


@BATCHES
@given(st.lists(DETAINER_HOLD, min_size=SIZE, max_size=SIZE))
def test_civil_papers_alone_never_hold_a_person_eligible_for_release(opa, http, docs) -> None:
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert decision["outcome"] == "deny", doc
        if "TP-INPUT-01" not in rules(decision):
            assert "BTA-DET-01" in rules(decision), doc
        if any(a["type"] == "civil_detainer" for a in doc["authority"]):
            assert "MA-LUNN-01" in rules(decision), doc


STATUS_TO_IMMIGRATION = _with(
    REQUEST,
    action=st.just("share_information"),
    counterpart=st.one_of(
        st.fixed_dictionaries(
            {"agency": st.sampled_from(sorted(IMMIGRATION))},
            optional={"forwards_to": st.lists(_enum(Agency), max_size=2)},
        ),
        st.tuples(_enum(Agency), st.sampled_from(sorted(IMMIGRATION))).map(
            lambda p: {"agency": p[0], "forwards_to": [p[1]]}
        ),
    ),
    information=st.tuples(
        st.sampled_from(["immigration_status", "citizenship"]),
        st.lists(_enum(Information), max_size=4),
    ).map(lambda p: [*p[1], p[0]]),
)


@BATCHES
@given(st.lists(STATUS_TO_IMMIGRATION, min_size=SIZE, max_size=SIZE))
def test_status_information_to_an_immigration_authority_always_escalates(opa, http, docs) -> None:
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        if "TP-INPUT-01" in rules(decision):
            continue
        assert "FED-1373-ESC" in rules(decision, "escalations"), doc
        assert decision["outcome"] in {"deny", "escalate"}


_OBJECT_PATHS = [(), ("actor",), ("subject",), ("counterpart",), ("criminal_case",), ("operation",)]
_ENUM_PATHS = [p for p, v in LEAVES if isinstance(v, str) and p not in {
    ("actor", "agency"), ("actor", "district"), ("criminal_case", "id"),
    ("criminal_case", "statute"), ("occurred_at",),
}]  # fmt: skip
_KNOWN = set().union(*(_values(k) for k in (
    Action, ActorRole, SubjectRole, Severity, Agency, AuthorityType, Issuer, Purpose,
    CaseCategory, Information, OperationPurpose,
)))  # fmt: skip
MUTATION = st.one_of(
    st.tuples(st.just("field"), st.sampled_from(_OBJECT_PATHS), st.text(min_size=1, max_size=12)),
    st.tuples(
        st.just("enum"),
        st.sampled_from(_ENUM_PATHS),
        st.text(max_size=20).filter(lambda t: t not in _KNOWN),
    ),
)


def _mutate(mutation: tuple[str, tuple[str | int, ...], str]) -> dict[str, Any]:
    kind, path, text = mutation
    if kind == "enum":
        return variant(path, text)
    doc = copy.deepcopy(FULL)
    node = doc
    for key in path:
        node = node[key]
    allowed = {str(k) for k in node}
    node[text if text not in allowed else text + "_x"] = "extra"
    return doc


@BATCHES
@given(st.lists(MUTATION, min_size=SIZE, max_size=SIZE))
def test_any_unknown_field_or_enum_value_is_denied_as_malformed(opa, http, mutations) -> None:
    docs = [_mutate(m) for m in mutations]
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert_input_denied(decision, doc)
        with pytest.raises(InvalidRequest):
            DecisionRequest.from_dict(doc)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)
NEAR_MISS = st.one_of(
    JSON,
    st.dictionaries(st.sampled_from([*FULL, "x"]), JSON, max_size=6),
    st.tuples(REQUEST, st.sampled_from(list(FULL)), JSON).map(lambda p: {**p[0], p[1]: p[2]}),
)


@BATCHES
@given(st.lists(NEAR_MISS, min_size=SIZE, max_size=SIZE))
def test_no_malformed_input_is_ever_allowed(opa, http, docs) -> None:
    """Whatever arrives, the outcome is derived and a schema problem is a TP-INPUT-01 deny.

    The SDK accepts exactly what the engine's schema accepts (tests/test_schema_parity.py);
    a well-formed request is decided by the engine on its facts, never allowed for being odd.
    """
    for doc, decision in zip(docs, batch(http, opa, docs), strict=True):
        assert decision["outcome"] == _derived(decision), doc
        assert decision["allowed"] is (decision["outcome"] == "allow"), doc
        if not isinstance(doc, dict) or not {"action", "actor"} <= doc.keys():
            assert_input_denied(decision, doc)
        if "TP-INPUT-01" in rules(decision):
            assert_input_denied(decision, doc)
