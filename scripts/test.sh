#!/usr/bin/env bash
# Every check and test of trustpolicy, in the order a failure is cheapest to see.
# Called by `make test` (after scripts/setup-tools.sh) and by .ci/run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/.tools/bin:$root/.venv/bin:$PATH"
opa="$root/.tools/bin/opa"
regal="$root/.tools/bin/regal"
for tool in "$opa" "$regal"; do
  if [[ ! -x "$tool" ]]; then
    echo "test: error: $tool is missing: run scripts/setup-tools.sh (tests never skip without it)" >&2
    exit 1
  fi
done
schema=policies/trustpolicy/schema/input/data.json
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "opa fmt (Rego v1 formatting)"
"$opa" fmt --list --fail policies

step "opa check --strict, and with the input schema (a typo in an input field fails)"
"$opa" check --strict policies
"$opa" check --strict --schema "$schema" policies

step "regal lint"
"$regal" lint --config-file .regal/config.yaml policies

step "opa test with 100% coverage gate"
# -b: load policies/ as a bundle directory, so its data files (the input schema) load too.
"$opa" test -b policies
"$opa" test -b policies --coverage --format json > "$tmp/coverage.json"
python3 scripts/coverage_report.py "$tmp/coverage.json" --threshold 100

step "ruff and mypy --strict"
ruff check src tests bench scripts
ruff format --check src tests bench scripts
mypy
mypy --strict tests/typed_usage.py

step "pytest (unit, integration against real OPA, load and fault tests)"
set +e
pytest "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "test: error: pytest collected no tests" >&2
  exit 1
fi
exit $rc
