"""The registration check: every provision package reaches the decision by its folder.

``data.trustpolicy.decision`` gathers the ``violations``, ``escalations``, ``obligations``
and ``lifted`` of every package below an instrument folder (``boston``, ``massachusetts``,
``federal``) without an import list, so adding a provision is one folder. A package there
that defines none of them would pass its own tests and still never reach a decision; an
annotated rule whose METADATA names no version of the law (``custom.versions``, ids from
``trustpolicy/law/data.json``) could never fire either. Both are refused here, and
``trustpolicy test`` fails on them (as Conforma checks its own annotations).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trustpolicy.authoring._policy_tests import opa_json

__all__ = ["registration_problems"]

_INSTRUMENTS = ("boston", "massachusetts", "federal")
_CONTRIBUTIONS = frozenset({"violations", "escalations", "obligations"})


def _packages(policies: Path, opa: Path | None) -> list[str]:
    """The non-test packages of ``policies`` below an instrument, as dotted paths."""
    report = opa_json(["inspect", "--format", "json", str(policies)], opa)
    found: set[str] = set()
    for namespace in (report or {}).get("namespaces") or {}:
        match str(namespace).split("."):
            case ["data", "trustpolicy", instrument, name] if (
                instrument in _INSTRUMENTS and not name.endswith("_test")
            ):
                found.add(f"trustpolicy.{instrument}.{name}")
    return sorted(found)


def _law_versions(policies: Path) -> set[str]:
    data = json.loads((policies / "trustpolicy" / "law" / "data.json").read_text("utf-8"))
    return {str(v["id"]) for v in data.get("versions", ())}


def _annotated(policies: Path, opa: Path | None) -> dict[str, dict[str, Any]]:
    report = opa_json(["inspect", "-a", "--format", "json", str(policies)], opa)
    out: dict[str, dict[str, Any]] = {}
    for entry in (report or {}).get("annotations") or ():
        ann = entry.get("annotations") or {}
        if ann.get("scope") != "package" or not (ann.get("custom") or {}).get("id"):
            continue
        path = ".".join(str(p.get("value")) for p in entry.get("path", ())[1:])
        out[path] = ann
    return out


def registration_problems(policies: Path | str, opa: Path | None = None) -> list[str]:
    """Every way a provision or exception package would never reach a decision, as sentences."""
    src = Path(policies)
    packages = _packages(src, opa)
    annotated = _annotated(src, opa)
    versions = _law_versions(src)
    problems: list[str] = []
    if packages:
        kinds = json.dumps(sorted(_CONTRIBUTIONS))
        # Each kind is asked for by name: a package holding functions is no plain object.
        query = (
            "{"
            + ", ".join(f'"{p}": {{k | some k in {kinds}; data.{p}[k]}}' for p in packages)
            + "}"
        )
        result = opa_json(["eval", "--bundle", str(src), "--format", "json", query], opa)
        keys = result["result"][0]["expressions"][0]["value"]
        for package in packages:
            if not set(keys.get(package, ())):
                problems.append(
                    f"{package}: defines none of {', '.join(sorted(_CONTRIBUTIONS))}, "
                    "so it never reaches data.trustpolicy.decision"
                )
            if package not in annotated:
                problems.append(f"{package}: no package METADATA with custom.id")
    for package, ann in sorted(annotated.items()):
        custom = ann.get("custom") or {}
        if custom.get("version") == "engine":
            continue
        named = [str(v.get("version")) for v in custom.get("versions") or () if isinstance(v, dict)]
        if not named:
            problems.append(f"{package}: custom.versions names no version of the law")
        problems.extend(
            f"{package}: version {version!r} is not in law/data.json"
            for version in named
            if version not in versions
        )
    return problems
