"""Print the policy coverage that `opa test --coverage --format json` measured, per file.

    python3 scripts/coverage_report.py coverage.json [--threshold 100]

Exits 1 when the total is below the threshold, naming the uncovered lines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    threshold = float(argv[argv.index("--threshold") + 1]) if "--threshold" in argv else 100.0
    # With --bundle OPA also lists each file under a second, root-prefixed name that carries
    # no coverage of its own; report each file once.
    files = {k: v for k, v in report.get("files", {}).items() if "coverage" in v}
    for name, data in sorted(files.items()):
        missing = [f"{r['start']['row']}-{r['end']['row']}" for r in data.get("not_covered", [])]
        note = f"  not covered: {', '.join(missing)}" if missing else ""
        print(f"  {data.get('coverage', 100.0):6.2f}%  {name}{note}")
    total = float(report.get("coverage", 0.0))
    print(f"policy coverage: {total:.2f}% over {len(files)} files (threshold {threshold:g}%)")
    return 0 if total >= threshold else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
