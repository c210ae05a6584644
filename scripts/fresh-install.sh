#!/usr/bin/env bash
# Installs the project with plain `pip install .` into a brand-new virtualenv (no cache, no lock, no
# editable install) and checks that both console scripts work from it: `sparkhu --help`, `sparkhu config`,
# `sparkhu-sync --help`, that the bundled Argo schema is found, and `sparkhu demo --days 2` end to end in a
# temporary SPARKHU_HOME. Catches dependencies missing from pyproject.toml and package data left out of
# the wheel. Takes a few minutes; not part of `make test`.
#
# Usage: scripts/fresh-install.sh            (PYTHON=python3.11 by default; KEEP=1 keeps the temp folder)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3.11}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sparkhu-fresh-XXXXXX")
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "fresh virtualenv in $WORK/venv ($($PYTHON --version))"
"$PYTHON" -m venv "$WORK/venv"
BIN="$WORK/venv/bin"

step "pip install $REPO (no cache)"
# A copy of the tree without local state, so nothing of the developer's build leaks into the wheel.
mkdir "$WORK/src"
tar -C "$REPO" --exclude=./.venv --exclude=./.sparkhu --exclude=./.git --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude=./build -cf - . | tar -C "$WORK/src" -xf -
PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$BIN/pip" install -q "$WORK/src"

# Everything below runs outside the repository, so only the installed package can be imported.
cd "$WORK"
export SPARKHU_HOME="$WORK/home"
unset SPARKHU_LAKE_URI SPARKHU_DATABASE_URL SPARKHU_LOGS_DIR SPARKHU_MLFLOW_URI SPARKHU_RUN_ID

step "sparkhu --help"
"$BIN/sparkhu" --help >/dev/null

step "sparkhu config"
"$BIN/sparkhu" config

step "sparkhu-sync --help"
"$BIN/sparkhu-sync" --help >/dev/null

step "the Argo schema is package data"
"$BIN/python" - <<'EOF'
from manifest_sync.schema import BUNDLED_SCHEMA, load_schema

schema = load_schema(BUNDLED_SCHEMA)
assert schema is not None and schema.covers("WorkflowTemplate"), BUNDLED_SCHEMA
print(f"found {BUNDLED_SCHEMA}")
EOF

step "sparkhu demo --days 2"
"$BIN/sparkhu" demo --days 2

step "ok: a fresh 'pip install .' gives a working sparkhu and sparkhu-sync"
