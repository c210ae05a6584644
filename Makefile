# Sparkhu — `make run` runs the demo pipeline end to end, `make test` runs lint, types, layers and tests.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck layers manifests-check pytest manifests bench lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/sparkhu demo

test: install lint typecheck layers manifests-check pytest

lint:
	$(BIN)/ruff check src tests benchmarks

typecheck:
	$(BIN)/mypy

layers:
	$(BIN)/lint-imports

manifests-check:
	$(BIN)/sparkhu manifests check

pytest:
	$(BIN)/pytest -q

manifests: install
	$(BIN)/sparkhu manifests render --out manifests

bench: install
	$(BIN)/python benchmarks/pipeline/run.py

lock: install
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # Full pinned freeze of requirements.in (python 3.11). Regenerate: make lock' > requirements.lock

clean:
	rm -rf .sparkhu .mypy_cache .pytest_cache .ruff_cache
