"""The decision-log allow-list: what of a decision's input and result may be stored.

The agent's ``system.log.mask`` policy removes personal fields; the collector projects the
input onto the same allow-list again, so a misconfigured agent still cannot put an
immigration status, a name or a case number into the store.
"""

from __future__ import annotations

import re
from typing import Any

from trustpolicy.contract._limits import _INPUT_SCHEMA, _Limits, _limits

__all__ = ["project_input"]

#: The engine's rule for a request that fails the input check (``policies/.../input.rego``).
MALFORMED_RULE = "TP-INPUT-01"

_AGENCIES = frozenset(
    {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS"}
    | {"STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
)
_INFORMATION = frozenset(
    {"name", "date_of_birth", "home_address", "work_address", "phone", "physical_description"}
    | {"photo", "incident_report", "release_date", "custody_status", "immigration_status"}
    | {"citizenship", "criminal_history", "aggregate_statistics"}
)


def _schema_limits(*path: str) -> _Limits:
    """The input schema's own limits (length, pattern) for the string field at ``path``."""
    node: Any = _INPUT_SCHEMA
    for name in path:
        node = node["properties"][name]
    return _limits(node, node)


# The free-text fields: kept only within the schema's own limits (length and the pattern
# that refuses control, bidi and zero-width characters); a value outside them is dropped.
_AGENCY = _schema_limits("actor", "agency")
_DISTRICT = _schema_limits("actor", "district")

# The same allow-list as policies/system/log/mask.rego: a frozenset is an enumeration,
# bool a type, schema limits a free-text string, a dict a nested object, a one-element
# list a list of that element.
_KEPT_FIELDS: dict[str, Any] = {
    "action": frozenset(
        {"inquire_status", "detain", "arrest", "transfer_custody", "share_information"}
        | {"commit_resources", "perform_immigration_function", "join_operation"}
        | {"receive_detainer"}
    ),
    "actor": {
        "agency": _AGENCY,
        "role": frozenset({"police_officer", "city_employee"}),
        "district": _DISTRICT,
    },
    "subject": {
        "role": frozenset(
            {"suspect", "arrestee", "victim", "witness", "caller", "worker", "other"}
        ),
        "in_custody": bool,
        "eligible_for_release": bool,
    },
    "counterpart": {"agency": _AGENCIES, "forwards_to": [_AGENCIES]},
    "authority": [
        {
            "type": frozenset(
                {"civil_detainer", "ice_administrative_warrant", "removal_order"}
                | {"judicial_criminal_warrant", "judicial_order", "state_criminal_warrant"}
                | {"criminal_probable_cause"}
            ),
            "issued_by": frozenset(
                {"federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer"}
            ),
        }
    ],
    "purpose": frozenset(
        {"civil_immigration_enforcement", "criminal_investigation", "visa_certification"}
        | {"criminal_history_check", "public_safety", "statistics", "benefit_eligibility", "other"}
    ),
    "criminal_case": {
        "category": frozenset(
            {"human_trafficking", "narcotics", "weapons", "cybercrime", "financial"}
            | {"document_fraud", "gang", "child_exploitation", "illegal_reentry", "other"}
        )
    },
    "information": [_INFORMATION],
    "operation": {
        "primary_purpose": frozenset(
            {"immigration_enforcement", "criminal_enforcement", "public_safety"}
        ),
        "partner": _AGENCIES,
    },
}
_RESULT_LISTS = ("violations", "exceptions", "escalations", "obligations")
_RESULT_ENTRY_KEYS = ("rule", "title", "citation", "confidence", "lifts", "lifted")
_OUTCOMES = frozenset({"allow", "deny", "escalate"})


def _leaf(spec: Any, value: Any, free_text: bool) -> bool:
    if isinstance(spec, frozenset):
        return isinstance(value, str) and value in spec
    if spec is bool:
        return isinstance(value, bool)
    return free_text and isinstance(spec, _Limits) and _within(spec, value)


def _within(limits: _Limits, value: Any) -> bool:
    """Whether ``value`` is a string the input schema accepts for its field."""
    if not isinstance(value, str) or len(value) < max(limits.min_length, 1):
        return False
    if limits.max_length is not None and len(value) > limits.max_length:
        return False
    return limits.pattern is None or limits.pattern.search(value) is not None


def _project(spec: Any, value: Any, free_text: bool) -> Any:
    """``value`` reduced to ``spec``, or ``None`` when nothing of it may be kept."""
    if _leaf(spec, value, free_text):
        return value
    if isinstance(spec, dict) and isinstance(value, dict):
        kept = ((k, _project(spec.get(k), raw, free_text)) for k, raw in value.items())
        return {k: v for k, v in kept if v is not None}
    if isinstance(spec, list) and isinstance(value, list):
        items = (_project(spec[0], item, free_text) for item in value)
        return [item for item in items if item is not None]
    return None


def project_input(raw: Any, *, free_text: bool = True) -> dict[str, Any]:
    """Return the reportable projection of a decision input, as the mask policy does.

    With ``free_text=False`` (a malformed request, see :func:`is_malformed`) only
    enumerated and boolean facts are kept: no free-text field at all.
    """
    kept = _project(_KEPT_FIELDS, raw, free_text)
    return kept if isinstance(kept, dict) else {}


def is_malformed(result: Any) -> bool:
    """Whether a logged decision result denies its request as malformed (TP-INPUT-01)."""
    violations = result.get("violations") if isinstance(result, dict) else None
    return isinstance(violations, list) and any(
        isinstance(v, dict) and v.get("rule") == MALFORMED_RULE for v in violations
    )


#: Labels and error codes are kept only as short plain names: never free text.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,63}\Z")
_LABELS = ("app", "department", "id", "version")


def _name(value: Any) -> bool:
    return isinstance(value, str) and _NAME.match(value) is not None


def project_labels(raw: Any) -> dict[str, str]:
    """The agent's labels the store keeps: app, department, id and version, as plain names."""
    if not isinstance(raw, dict):
        return {}
    return {k: raw[k] for k in _LABELS if _name(raw.get(k))}


def project_error(raw: Any) -> dict[str, str] | None:
    """An engine error as its code alone (OPA's message can quote the request)."""
    if raw is None:
        return None
    code = raw.get("code") if isinstance(raw, dict) else None
    return {"code": code if isinstance(code, str) and _name(code) else "error"}


def _project_result(raw: Any) -> dict[str, Any] | None:
    """Outcome, rule IDs and citations of a decision; messages and anything else dropped."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {}
    if raw.get("outcome") in _OUTCOMES:
        out["outcome"] = raw["outcome"]
    if isinstance(raw.get("allowed"), bool):
        out["allowed"] = raw["allowed"]
    for kind in _RESULT_LISTS:
        entries = raw.get(kind)
        if isinstance(entries, list):
            out[kind] = [_result_entry(e) for e in entries if isinstance(e, dict)]
    policy = raw.get("policy")
    if isinstance(policy, dict) and isinstance(policy.get("revision"), str):
        out["policy"] = {"revision": policy["revision"]}
    return out


def _result_entry(entry: dict[str, Any]) -> dict[str, Any]:
    def plain(v: Any) -> bool:
        strings = isinstance(v, list) and all(isinstance(x, str) for x in v)
        return isinstance(v, (str, bool)) or strings

    return {k: entry[k] for k in _RESULT_ENTRY_KEYS if k in entry and plain(entry[k])}
