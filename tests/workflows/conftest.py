"""Fixtures shared by the workflow tests: the repository layout and the rendered manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from manifest_sync.schema import BUNDLED_SCHEMA
from sparkhu.workflows.render import rendered_manifests

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
TASKS_DIR = REPO / "tasks"
MODELS_TEMPLATE = "sparkhu-models"
MULTIVARIATE_TEMPLATE = "sparkhu-multivariate"
DAILY_OBJECTS = frozenset({"sparkhu-daily-univariate", "sparkhu-daily"})
RETENTION = "sparkhu-retention"
"""Name of both retention objects: the WorkflowTemplate and the CronWorkflow that runs it."""


@pytest.fixture(scope="session")
def manifests_dir() -> Path:
    """The committed ``manifests/`` folder."""
    return MANIFESTS


@pytest.fixture(scope="session")
def tasks_dir() -> Path:
    """The ``tasks/`` folder with the Dockerfiles."""
    return TASKS_DIR


@pytest.fixture(scope="session")
def schema_path() -> Path:
    """The Argo Workflows v4.1.2 JSON schema bundled with manifest_sync (present in every clone)."""
    return BUNDLED_SCHEMA


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    """File name -> YAML text of a fresh in-memory rendering (rendered once per session)."""
    return rendered_manifests()


@pytest.fixture(scope="session")
def documents(rendered: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Kind -> parsed object of the daily univariate objects (the WorkflowTemplate and the CronWorkflow)."""
    parsed = [yaml.safe_load(text) for text in rendered.values()]
    return {doc["kind"]: doc for doc in parsed if doc["metadata"]["name"] in DAILY_OBJECTS}


@pytest.fixture(scope="session")
def retention_documents(rendered: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Kind -> parsed object of the retention objects (the WorkflowTemplate and its CronWorkflow)."""
    parsed = [yaml.safe_load(text) for text in rendered.values()]
    return {doc["kind"]: doc for doc in parsed if doc["metadata"]["name"] == RETENTION}


@pytest.fixture(scope="session")
def models_template(rendered: dict[str, str]) -> dict[str, Any]:
    """The model pipeline's WorkflowTemplate (tune, train, forecast per series group)."""
    parsed = [yaml.safe_load(text) for text in rendered.values()]
    return next(doc for doc in parsed if doc["metadata"]["name"] == MODELS_TEMPLATE)


@pytest.fixture(scope="session")
def multivariate_template(rendered: dict[str, str]) -> dict[str, Any]:
    """The multivariate pipeline's WorkflowTemplate (correlate per series group)."""
    parsed = [yaml.safe_load(text) for text in rendered.values()]
    return next(doc for doc in parsed if doc["metadata"]["name"] == MULTIVARIATE_TEMPLATE)


@pytest.fixture(scope="session")
def template(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The daily univariate WorkflowTemplate as a plain dict."""
    return documents["WorkflowTemplate"]


@pytest.fixture(scope="session")
def containers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Template name -> container template of the WorkflowTemplate."""
    return {t["name"]: t for t in template["spec"]["templates"] if "container" in t}


@pytest.fixture(scope="session")
def dag_tasks(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """DAG task name -> DAG task of the entrypoint."""
    entry = next(t for t in template["spec"]["templates"] if t["name"] == template["spec"]["entrypoint"])
    return {task["name"]: task for task in entry["dag"]["tasks"]}
