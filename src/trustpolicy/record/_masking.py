"""The decision-log allow-list: what of a decision's input and result may be stored.

The agent's ``system.log.mask`` policy projects the logged input onto the input schema in
the bundle; the collector projects it onto the same schema again (the copy in this package),
so a misconfigured agent still cannot put an immigration status, a name or a case number
into the store. One source: the schema; a test keeps this walk and the Rego mask identical.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from trustpolicy.contract._limits import _INPUT_SCHEMA, _python_pattern
from trustpolicy.contract._models import _is_rfc3339

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["project_input"]

#: The engine's rule for a request that fails the input check (``policies/.../input.rego``).
MALFORMED_RULE = "TP-INPUT-01"

#: What stands in for a criminal case number: the case exists (the fact a decision reads),
#: its number is not kept. The same marker as ``system.log.case_marker`` in the bundle.
CASE_MARKER = "on-file"

_SCHEMA: Mapping[str, Any] = _INPUT_SCHEMA
_RESULT_LISTS = ("violations", "exceptions", "escalations", "obligations")
_RESULT_ENTRY_KEYS = ("rule", "title", "citation", "confidence", "version", "lifts", "lifted")
_OUTCOMES = frozenset({"allow", "deny", "escalate"})


@functools.cache
def _pattern(go: str) -> re.Pattern[str]:
    return re.compile(_python_pattern(go), re.ASCII)


def _free_text(spec: Mapping[str, Any]) -> bool:
    """A string field with neither an enumeration nor a format: a name, a district, a statute."""
    return spec.get("type") == "string" and "enum" not in spec and "format" not in spec


def _leaf(spec: Mapping[str, Any], value: Any) -> bool:
    """``value`` is a scalar the schema accepts: its enumeration, type, length, pattern, format."""
    if "enum" in spec:
        return isinstance(value, str) and value in spec["enum"]
    if spec.get("type") == "boolean":
        return isinstance(value, bool)
    if spec.get("type") != "string" or not isinstance(value, str):
        return False
    if not spec.get("minLength", 0) <= len(value) <= spec.get("maxLength", 0):
        return False
    if "pattern" in spec and not _pattern(spec["pattern"]).search(value):
        return False
    return spec.get("format") != "date-time" or _is_rfc3339(value)


def _project(spec: Mapping[str, Any] | None, value: Any, free_text: bool = True) -> Any:
    """``value`` reduced to what ``spec`` accepts, or ``None`` when nothing of it may be kept."""
    if spec is None or (not free_text and _free_text(spec)):
        return None
    if spec.get("type") == "object":
        if not isinstance(value, dict):
            return None
        props = spec.get("properties", {})
        kept = {k: _project(props.get(k), v, free_text) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None}
    if spec.get("type") == "array":
        if not isinstance(value, list):
            return None
        items = (_project(spec.get("items"), item, free_text) for item in value)
        return [item for item in items if item is not None]
    return value if _leaf(spec, value) else None


def project_input(raw: Any, *, free_text: bool = True) -> dict[str, Any]:
    """Return the input as the decision-log mask logs it: projected onto the input schema.

    The same walk as ``policies/system/log/mask.rego``: a field the schema does not define,
    or a value outside its enumeration, type, length, pattern or format, is dropped; the
    criminal case number becomes :data:`CASE_MARKER`. So a misconfigured agent still cannot
    put a name, a case number or an immigration status into the store, and every fact a
    decision depends on is kept for exact replay.

    With ``free_text=False`` (a malformed request, see :func:`is_malformed`) no free-text
    field is kept at all (agency, district, statute, references): only enumerated,
    boolean and date-time facts.
    """
    kept = _project(_SCHEMA, raw, free_text) if isinstance(raw, dict) else None
    if not isinstance(kept, dict):
        return {}
    case = kept.get("criminal_case")
    if isinstance(case, dict) and "id" in case:
        case["id"] = CASE_MARKER
    return kept


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
