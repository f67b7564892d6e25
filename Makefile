# The two commands of the README: `make demo` (the main job) and `make test` (every check).
.PHONY: demo test setup bench policy-test lint clean conforms

demo: setup
	.venv/bin/trustpolicy demo

test: setup
	scripts/test.sh

setup:
	scripts/setup-tools.sh

bench: setup
	.venv/bin/python bench/run.py

# Regenerate policies/trustpolicy/engine/input/conforms.rego from the input schema.
conforms: setup
	.venv/bin/python -m trustpolicy.authoring._conforms
	.tools/bin/opa fmt -w policies/trustpolicy/engine/input/conforms.rego

clean:
	rm -rf .venv .tools build var .pytest_cache .mypy_cache .ruff_cache
