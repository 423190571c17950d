# One command per developer task; CI runs `make test` (see .ci/run).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install up test check lint typecheck layers unit bench clean

$(BIN)/swarmstack: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/swarmstack ## create .venv with swarmstack and the test tools

up: install ## run the example swarm on the embedded default (SQLite under ./.swarmstack/)
	$(BIN)/swarmstack up examples/triage/swarm.yaml examples/digest/swarm.yaml

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

check: lint typecheck layers ## static checks

test: check ## static checks, then the whole test suite (real SQLite, PostgreSQL, Redis)
	$(BIN)/pytest

unit: install ## fast tests only
	$(BIN)/pytest tests/unit

bench: install ## benchmarks (see docs/benchmarks.md)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .swarmstack .mypy_cache .ruff_cache .pytest_cache
