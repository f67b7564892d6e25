"""The generated fast schema check (conforms.rego) accepts exactly what the schema accepts.

``data.trustpolicy.engine.input.conforms`` lets the engine skip ``json.match_schema`` for a
request it proves valid. It must never accept a request the schema refuses (that request
would then be decided as if it were well formed), and it should accept every valid one (else
the request only takes the slow path). Both are checked through a real OPA against
``json.match_schema`` itself, on the documents the schema parity test generates (valid ones
and mutations of every kind), at the edges, and against ``jsonschema``.
"""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from test_schema_parity import BAD_TIMES, FORBIDDEN, ORACLE, PARITY, SCHEMA, documents
from trustpolicy import LocalOPA
from trustpolicy.authoring import _conforms

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

GENERATED = ROOT / _conforms.TARGET_PATH
PROBE = """package conformance_probe

# For each document: whether the fast check proves it valid, and json.match_schema's verdict
# (false too where it cannot read the document at all: the engine denies that one).
results := [[fast, schema] |
	some doc in input.docs
	fast := count([1 | data.trustpolicy.engine.input.conforms with input as doc]) == 1
	schema := [valid | valid := json.match_schema(doc, data.trustpolicy.schema.input)[0]] == [true]
]
"""


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    probe: Path = tmp_path_factory.mktemp("probe")
    (probe / "probe.rego").write_text(PROBE)
    with (
        LocalOPA(policies=[ROOT / "policies", probe], decision_logs=False) as opa,
        requests.Session() as http,
    ):
        http.trust_env = False

        def ask(docs: list[Any]) -> list[tuple[bool, bool]]:
            body = json.dumps({"input": {"docs": docs}})
            answer = http.post(f"{opa.url}/v1/data/conformance_probe/results", data=body)
            assert answer.status_code == 200, answer.text[:500]
            result = answer.json()["result"]
            assert len(result) == len(docs)
            return [(fast, schema) for fast, schema in result]

        yield ask


RFC3339_SHAPE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _time_left_to_the_schema(doc: Any) -> bool:
    """A date-time that OPA's schema check takes but Go cannot read as an RFC 3339 time in
    nanoseconds (a bare date or time, a year before 1678 or after 2262): the slow path
    reads it, and the engine refuses it anyway (law.rego: unreadable, future, too old)."""
    if not isinstance(doc, dict):
        return False
    detainer = doc.get("detainer")
    received = detainer.get("received_at") if isinstance(detainer, dict) else None
    times = [t for t in (doc.get("occurred_at"), received) if isinstance(t, str)]
    return any(not RFC3339_SHAPE.fullmatch(t) or not 1678 <= int(t[:4]) <= 2262 for t in times)


def test_the_committed_check_is_generated_from_the_schema() -> None:
    assert GENERATED.read_text("utf-8") == _conforms.render(SCHEMA), (
        "conforms.rego is stale: run .venv/bin/python -m trustpolicy.authoring._conforms"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"minimum": 1}, "keywords ['minimum'] are not implemented"),
        ({"type": "integer"}, "type 'integer' is not implemented"),
        ({"format": "email"}, "format 'email'"),
        ({"additionalProperties": True, "type": "object"}, "an object that admits unknown fields"),
    ],
)
def test_a_schema_it_does_not_understand_is_refused(change: dict[str, Any], message: str) -> None:
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["actor"]["properties"]["district"].update(change)
    with pytest.raises(
        _conforms.SchemaNotUnderstood, match=re.escape(f"actor.district: {message}")
    ):
        _conforms.render(schema)
    with pytest.raises(_conforms.SchemaNotUnderstood, match="admits unknown fields"):
        _conforms.render({**SCHEMA, "additionalProperties": True})


@settings(PARITY, max_examples=60)
@given(st.lists(documents(), min_size=5, max_size=5))
def test_fast_check_accepts_exactly_what_the_schema_accepts(verdicts: Any, lists: Any) -> None:
    docs = [doc for some in lists for doc in some]  # 100 per batch: valid and mutated
    for doc, (fast, schema) in zip(docs, verdicts(docs), strict=True):
        assert not (fast and not schema), ("accepted what the schema refuses", doc)
        assert fast == schema or _time_left_to_the_schema(doc), (
            "a valid request took the slow path",
            doc,
        )
        if fast:
            # jsonschema agrees, but for OPA's laxer date-time check (test_schema_parity),
            # which the fast check shares; the SDK refuses those times.
            assert all(e.validator == "format" for e in ORACLE.iter_errors(doc)), doc


def test_fast_check_at_every_edge(verdicts: Any) -> None:
    base: dict[str, Any] = {
        "action": "detain",
        "actor": {"agency": "BPD", "role": "police_officer"},
    }
    chars = {cp + d for a, b in FORBIDDEN for cp in (a, b) for d in (-1, 0, 1) if cp + d >= 0}
    docs: list[Any] = [None, [], "detain", 1, {}, {"action": "detain"}, {"actor": base["actor"]}]
    docs += [
        {**base, "actor": {**base["actor"], "district": f"C{chr(cp)}1"}} for cp in sorted(chars)
    ]
    for size in (0, 1, 127, 128, 129):
        docs += [{**base, "actor": {**base["actor"], "agency": "\U0001f600" * size}}]
        docs += [{**base, "criminal_case": {"id": "C" * size}}]
    docs += [{**base, "actor": {**base["actor"], "agency": "BPD\n"}}]
    docs += [{**base, "occurred_at": t} for t in ["2026-03-01T10:00:00Z", *BAD_TIMES]]
    docs += [{**base, "detainer": {"received_at": t}} for t in ["2026-03-01T10:00:00Z", *BAD_TIMES]]
    for field, junk in [
        ("subject", False),
        ("subject", None),
        ("counterpart", {}),
        ("authority", {}),
    ]:
        docs += [{**base, field: junk}]
    docs += [{**base, "subject": {"charges": [{"severity": "felony"}] * n}} for n in (64, 65)]
    docs += [{**base, "subject": {"in_custody": "true"}}, {**base, "subject": {"role": None}}]
    docs += [{**base, "authority": [{"type": "judicial_order", "issued_by": 1}]}]
    docs += [{**base, "information": ["name"] * 33}, {**base, "information": "name"}]
    docs += [{**base, "operation": {"partner": "CBP"}}, {**base, "detainer": {"reference": ""}}]
    verdict = verdicts(docs)
    for doc, (fast, schema) in zip(docs, verdict, strict=True):
        assert not (fast and not schema), doc
        assert fast == schema or _time_left_to_the_schema(doc), doc
    assert sum(schema for _, schema in verdict) >= 20  # the edges include valid requests
    assert sum(not schema for _, schema in verdict) >= 40
