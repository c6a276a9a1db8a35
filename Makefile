# Two commands do everything on a fresh machine: `make demo` and `make test`.
.PHONY: demo test setup setup-dev lint typecheck check fixtures goldens clean

demo: setup
	.venv/bin/designexport samples/ -o out/

test: setup-dev
	.venv/bin/python -m pytest -n 2 --dist loadgroup -q

setup:
	scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev

lint: setup-dev
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck: setup-dev
	.venv/bin/mypy

check: lint typecheck test

fixtures: setup-dev
	.venv/bin/python -m tests.test_tree_fixtures

goldens: setup-dev
	.venv/bin/python -m tests.test_goldens

# Every corpus document against pandoc: words kept, raw HTML accounted for, words broken in table cells.
.PHONY: fidelity
fidelity: setup-dev
	FIDELITY_SUMMARY=out/fidelity.txt .venv/bin/python -m pytest tests/test_fidelity.py -q -s

# The lower bounds in pyproject.toml: every runtime dependency at its lowest allowed version, in .venv-lowest.
.PHONY: lowest
lowest: setup-dev
	scripts/lowest-deps.sh

clean:
	rm -rf out scratch .pytest_cache .mypy_cache .ruff_cache
