"""Running the policy tests (``opa test``) with coverage, for policy authors and the CLI.

Two runs of the pinned OPA: one lists every test with its result and location, one gives
the coverage report. The threshold is checked here, so a failing gate still reports
which lines are not covered.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import attrs

from trustpolicy.contract._errors import EngineError
from trustpolicy.engine._tools import find_tool

__all__ = ["PolicyTest", "PolicyTestReport", "run_policy_tests"]

_TIMEOUT = 300
# opa fmt puts every rule head at column 0 and indents its body; a rule ends where the next
# top-level line (not a closing bracket) begins.
_TOP_LEVEL = re.compile(r"^[^\s}\])]")


@attrs.frozen
class PolicyTest:
    """One Rego test rule: where it is, whether it passed, and its source text."""

    name: str
    package: str
    file: str
    row: int
    passed: bool
    source: str = attrs.field(repr=False, default="")


@attrs.frozen
class PolicyTestReport:
    """The outcome of ``opa test`` with coverage against a threshold (percent).

    ``coverage`` is ``None`` when it was not measured: OPA reports coverage only when every
    test passes.
    """

    tests: tuple[PolicyTest, ...]
    coverage: float | None
    threshold: float
    files: tuple[tuple[str, float], ...]
    uncovered: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def failed(self) -> tuple[PolicyTest, ...]:
        """The tests that failed (or errored)."""
        return tuple(t for t in self.tests if not t.passed)

    @property
    def ok(self) -> bool:
        """Every test passed and coverage reached the threshold."""
        covered = self.coverage is not None and self.coverage >= self.threshold
        return bool(self.tests) and not self.failed and covered


def opa_json(args: list[str], opa: Path | None) -> Any:
    """Run ``opa <args>`` and return its JSON report; anything else is an EngineError."""
    tool = opa if opa is not None else find_tool("opa")
    try:
        proc = subprocess.run(
            [str(tool), *args], capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"opa {args[0]} could not run: {exc}") from exc
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        message = (proc.stderr or proc.stdout).strip().splitlines()
        detail = message[0] if message else f"exit code {proc.returncode}"
        raise EngineError(
            f"opa {' '.join(args[:2])} gave no report", engine_message=detail
        ) from exc


def _block(lines: list[str], row: int) -> str:
    """Return the text of the top-level rule that starts on (1-based) ``row``."""
    end = row
    while end < len(lines) and not _TOP_LEVEL.match(lines[end]):
        end += 1
    return "\n".join(lines[row - 1 : end])


def _rows(ranges: list[dict[str, Any]]) -> tuple[int, ...]:
    """Return the line numbers covered by OPA's ``{start: {row}, end: {row}}`` ranges."""
    rows = {n for r in ranges for n in range(r["start"]["row"], r["end"]["row"] + 1)}
    return tuple(sorted(rows))


def rule_blocks(path: Path) -> dict[str, str]:
    """Every top-level rule of a Rego file by name (rules of one name joined)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        head = re.match(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)\b", line)
        if head and head.group(1) not in ("package", "import", "default"):
            name = head.group(1)
            blocks[name] = blocks.get(name, "") + _block(lines, number) + "\n"
    return blocks


def run_policy_tests(
    policies: Path | str,
    *,
    threshold: float = 100.0,
    coverage: bool = True,
    opa: Path | None = None,
) -> PolicyTestReport:
    """Run every Rego test under ``policies``; if all pass, measure coverage (``coverage``)."""
    src = Path(policies)
    if not src.is_dir():
        raise FileNotFoundError(f"policies directory not found: {src}")
    results = opa_json(["test", "--bundle", "--format", "json", str(src)], opa)
    sources: dict[str, list[str]] = {}
    tests = []
    for result in results or ():
        where = result.get("location", {})
        file = str(where.get("file", ""))
        row = int(where.get("row", 0))
        if file not in sources:
            path = Path(file)
            sources[file] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        tests.append(
            PolicyTest(
                name=str(result.get("name", "")),
                package=str(result.get("package", "")),
                file=file,
                row=row,
                passed=not result.get("fail") and not result.get("error"),
                source=_block(sources[file], row) if sources[file] and row else "",
            )
        )
    report: Any = None
    if coverage and tests and all(t.passed for t in tests):
        report = opa_json(["test", "--bundle", "--coverage", "--format", "json", str(src)], opa)
    files = report.get("files", {}) if isinstance(report, dict) else {}
    uncovered = tuple(
        (name, _rows(info.get("not_covered", [])))
        for name, info in sorted(files.items())
        if info.get("not_covered")
    )
    return PolicyTestReport(
        tests=tuple(tests),
        coverage=float(report.get("coverage", 0.0)) if isinstance(report, dict) else None,
        threshold=threshold,
        files=tuple(
            (name, float(info.get("coverage", 0.0))) for name, info in sorted(files.items())
        ),
        uncovered=uncovered,
    )
