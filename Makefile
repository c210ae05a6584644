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
	$(BIN)/ruff check src manifest_sync services tests benchmarks

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

# --- Kubernetes delivery: images and the end-to-end run on a local cluster (neither runs in CI) ---
.PHONY: images e2e
DOCKER ?= docker
IMAGE_REGISTRY ?=
IMAGE_VERSION ?= $(shell $(BIN)/python -c 'import sparkhu; print(sparkhu.__version__)' 2>/dev/null)

# Builds every image `sparkhu manifests images` lists (base first; names from workflows/images.py).
images:
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make images: no Docker engine answers ('$(DOCKER) info' failed). Start Docker, or build on a machine that has one." >&2; exit 1; }
	@test -x $(BIN)/sparkhu || { echo "make images: $(BIN)/sparkhu is missing; run 'make install' first." >&2; exit 1; }
	@$(BIN)/sparkhu manifests images --registry "$(IMAGE_REGISTRY)" | while read -r dockerfile image; do \
		echo "building $$image from $$dockerfile"; \
		$(DOCKER) build -f "$$dockerfile" --build-arg VERSION=$(IMAGE_VERSION) \
			--build-arg REGISTRY=$(if $(IMAGE_REGISTRY),$(patsubst %/,%,$(IMAGE_REGISTRY))/) -t "$$image" . || exit 1; \
	done

e2e:
	scripts/e2e.sh
