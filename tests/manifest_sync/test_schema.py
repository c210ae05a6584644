"""The Argo schema ships with manifest_sync: it is the default, it is intact, it is package data, and it
really checks objects. An explicit path (environment or ``--schema``) still wins."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tomllib
from pathlib import Path

import pytest

from manifest_sync.config import SyncConfig
from manifest_sync.schema import BUNDLED_SCHEMA, SCHEMA_ENV, default_schema_path, load_schema
from tests.manifest_sync.conftest import workflow_template

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "manifest_sync"
NOTICE = BUNDLED_SCHEMA.parent / "NOTICE"


def test_the_bundled_schema_is_inside_the_package_and_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEMA_ENV, raising=False)
    assert BUNDLED_SCHEMA.is_file()
    assert BUNDLED_SCHEMA.is_relative_to(PACKAGE)
    assert default_schema_path() == BUNDLED_SCHEMA
    assert SyncConfig(repo="file:///nowhere").schema_path == BUNDLED_SCHEMA


def test_the_environment_overrides_the_bundled_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "argo-v9.schema.json"
    other.write_text('{"definitions": {}}', encoding="utf-8")
    monkeypatch.setenv(SCHEMA_ENV, str(other))
    assert default_schema_path() == other
    assert SyncConfig(repo="file:///nowhere").schema_path == other


def test_a_configured_schema_that_does_not_exist_is_refused_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEMA_ENV, str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match=r"missing\.json is not a file"):
        SyncConfig(repo="file:///nowhere")


def test_the_bundled_schema_is_the_unmodified_file_the_notice_describes() -> None:
    notice = NOTICE.read_text(encoding="utf-8")
    recorded = re.search(r"SHA-256:\s+([0-9a-f]{64})", notice)
    assert recorded is not None
    assert hashlib.sha256(BUNDLED_SCHEMA.read_bytes()).hexdigest() == recorded.group(1)
    for needed in ("v4.1.2", "github.com/argoproj/argo-workflows", "api/jsonschema/schema.json",
                   "Apache License, Version 2.0", "Copyright The Argo Authors", "LICENSE-Apache-2.0.txt"):
        assert needed in notice
    licence = (BUNDLED_SCHEMA.parent / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence


def test_the_schema_notice_and_licence_are_declared_package_data() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = declared["package-data"]["manifest_sync"]
    for path in (BUNDLED_SCHEMA, NOTICE, BUNDLED_SCHEMA.parent / "LICENSE-Apache-2.0.txt"):
        relative = path.relative_to(PACKAGE).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_the_bundled_schema_checks_argo_objects() -> None:
    schema = load_schema(BUNDLED_SCHEMA)
    assert schema is not None
    assert all(schema.covers(kind) for kind in ("WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"))
    good = workflow_template("ok")
    assert schema.errors(good) == []
    broken = workflow_template("broken")
    broken["spec"]["templates"][0]["container"]["command"] = "echo hi"
    assert schema.errors(broken) == ["spec/templates/0/container/command: 'echo hi' is not of type 'array'"]
