"""The traceability table: every provision and exception the policies encode, read back.

Rows come from the policies' own METADATA (``opa inspect -a``): the stable ``custom.id``,
the title, ``custom.citation`` and ``custom.confidence``. For a provision, *exceptions*
lists the exceptions whose ``custom.lifts`` names it; for an exception, *lifts* lists what
it lifts. *tests* counts the Rego test rules (``test_*`` in ``*_test.rego`` files, as run
by ``opa test``) that mention the ID: in the test rule's own body, or in the body of a
non-test rule of the same file that the test names (a table of cases, say). A count is
evidence that some test expects the rule to fire, not proof that every path is tested;
coverage (``trustpolicy test``) is the gate for that.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs

from trustpolicy.authoring._policy_tests import PolicyTest, opa_json, rule_blocks, run_policy_tests

__all__ = ["Provision", "format_provisions", "provisions"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@attrs.frozen
class Provision:
    """One row of the traceability table."""

    id: str
    kind: str
    title: str
    citation: str
    confidence: str
    file: str
    exceptions: tuple[str, ...] = ()
    lifts: tuple[str, ...] = ()
    tests: int = 0


def _kind(rule_id: str) -> str:
    if rule_id.startswith("EXC-"):
        return "exception"
    if rule_id.startswith("TP-"):
        return "engine"
    return "provision"


def _annotations(policies: Path, opa: Path | None) -> list[dict[str, Any]]:
    report = opa_json(["inspect", "-a", "--format", "json", str(policies)], opa)
    return list(report.get("annotations") or ())


def _mentions(rule_id: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-])")


def _test_texts(tests: tuple[PolicyTest, ...]) -> list[str]:
    """Each test's body plus the bodies of same-file non-test rules it refers to."""
    helpers: dict[str, dict[str, str]] = {}
    texts = []
    for test in tests:
        path = Path(test.file)
        if test.file not in helpers:
            blocks = rule_blocks(path) if path.is_file() else {}
            helpers[test.file] = {k: v for k, v in blocks.items() if not k.startswith("test_")}
        used = set(_WORD.findall(test.source)) & helpers[test.file].keys()
        texts.append("\n".join([test.source, *(helpers[test.file][name] for name in used)]))
    return texts


def provisions(policies: Path | str, *, opa: Path | None = None) -> tuple[Provision, ...]:
    """Read the traceability table from the policies under ``policies``, sorted by ID."""
    src = Path(policies)
    if not src.is_dir():
        raise FileNotFoundError(f"policies directory not found: {src}")
    rows: dict[str, dict[str, Any]] = {}
    for entry in _annotations(src, opa):
        where = str(entry.get("location", {}).get("file", ""))
        notes = entry.get("annotations") or {}
        custom = notes.get("custom") or {}
        rule_id = custom.get("id")
        if not isinstance(rule_id, str) or where.endswith("_test.rego"):
            continue
        lifts = custom.get("lifts") or []
        rows[rule_id] = {
            "id": rule_id,
            "kind": _kind(rule_id),
            "title": str(notes.get("title", "")),
            "citation": str(custom.get("citation", "")),
            "confidence": str(custom.get("confidence", "")),
            "file": where,
            "lifts": tuple(str(x) for x in lifts) if isinstance(lifts, list) else (str(lifts),),
        }
    lifted_by: dict[str, list[str]] = {}
    for row in rows.values():
        for target in row["lifts"]:
            lifted_by.setdefault(target, []).append(row["id"])
    texts = _test_texts(run_policy_tests(src, coverage=False, opa=opa).tests)
    return tuple(
        Provision(
            **row,
            exceptions=tuple(sorted(lifted_by.get(rule_id, ()))),
            tests=sum(1 for text in texts if _mentions(rule_id).search(text)),
        )
        for rule_id, row in sorted(rows.items())
    )


def format_provisions(rows: tuple[Provision, ...], fmt: str = "text") -> str:
    """Render the table as aligned ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps([attrs.asdict(r) for r in rows], indent=2, ensure_ascii=False)
    headers = ("ID", "Title", "Citation", "Confidence", "Exceptions / lifts", "Tests")
    table = [
        (
            r.id,
            r.title,
            r.citation,
            r.confidence,
            ", ".join(r.exceptions) if r.kind != "exception" else "lifts " + ", ".join(r.lifts),
            str(r.tests),
        )
        for r in rows
    ]
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell or "-" for cell in row) + " |" for row in table]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    return "\n".join(out)
