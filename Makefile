# One command per developer task; CI runs `make test` (see .ci/run).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
# the image the rendered manifests and compose files name when a spec sets no deploy.image
IMAGE ?= ghcr.io/swarmstack/swarmstack:$(VERSION)

.PHONY: install up test check lint typecheck layers unit bench image clean test-swarms

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

test: check ## static checks, the whole test suite (real SQLite, PostgreSQL, Redis), then kind: swarms
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-swarms

SWARMS_VENV ?= .venv-swarms
$(SWARMS_VENV)/bin/swarmstack: pyproject.toml
	$(PY) -m venv $(SWARMS_VENV)
	$(SWARMS_VENV)/bin/pip install --quiet --upgrade pip
	$(SWARMS_VENV)/bin/pip install --quiet -e '.[test,swarms]'
	touch $@

test-swarms: $(SWARMS_VENV)/bin/swarmstack ## kind: swarms agents on the real swarms package, in its own venv
	SWARMS_TELEMETRY_ON=false LITELLM_LOCAL_MODEL_COST_MAP=True \
	  $(SWARMS_VENV)/bin/pytest -p no:cacheprovider tests/agents/test_swarms_agent.py

unit: install ## fast tests only
	$(BIN)/pytest tests/unit

bench: install ## benchmarks (see docs/benchmarks.md)
	$(BIN)/python bench/run.py

image: ## build the container image (needs a Docker engine; docs/operations.md)
	docker build --tag $(IMAGE) .

clean:
	rm -rf $(VENV) .swarmstack .mypy_cache .ruff_cache .pytest_cache
