"""Settings refuse unknown SPARKHU_* variables (with a suggestion), leave other components' alone, and
know the MLflow, Ray and engine settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparkhu.config import (
    ENGINES,
    InvalidSettingsError,
    Settings,
    UnknownSettingsError,
    check_environment,
    get_settings,
    is_foreign,
    known_variables,
)

REPO = Path(__file__).resolve().parents[2]
IN_POD = {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}


def test_a_misspelt_variable_is_an_error_naming_it_and_the_closest_known_name(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARKHU_LAKE_URL", "s3://lake")
    with pytest.raises(UnknownSettingsError) as raised:
        Settings()
    message = str(raised.value)
    assert "SPARKHU_LAKE_URL (did you mean SPARKHU_LAKE_URI?)" in message
    assert raised.value.unknown == ["SPARKHU_LAKE_URL"]
    assert raised.value.suggestions == {"SPARKHU_LAKE_URL": "SPARKHU_LAKE_URI"}
    for known in ("SPARKHU_HOME", "SPARKHU_DATABASE_URL", "SPARKHU_MLFLOW_URI", "SPARKHU_ENGINE"):
        assert known in message
    assert "\n" not in message


def test_every_unknown_variable_is_named_once_and_lower_case_names_count_too() -> None:
    environ = {"SPARKHU_WORKER": "2", "sparkhu_databse_url": "sqlite://", "SPARKHU_ZZZ": "1", "HOME": "/root"}
    with pytest.raises(UnknownSettingsError) as raised:
        check_environment(environ)
    assert raised.value.unknown == ["SPARKHU_WORKER", "SPARKHU_ZZZ", "sparkhu_databse_url"]
    assert raised.value.suggestions == {
        "SPARKHU_WORKER": "SPARKHU_WORKERS",
        "SPARKHU_ZZZ": None,
        "sparkhu_databse_url": "SPARKHU_DATABASE_URL",
    }
    expected = "unknown environment variables SPARKHU_WORKER (did you mean SPARKHU_WORKERS?), SPARKHU_ZZZ, "
    assert str(raised.value).startswith(expected)


def test_known_variables_are_read_and_other_components_prefixes_are_allowed(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SPARKHU_SYNC_GIT_TOKEN_FILE", "SPARKHU_SYNC_ARGO_SCHEMA", "SPARKHU_TEST_POSTGRES_URL",
                 "SPARKHU_E2E_KEEP"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("SPARKHU_WORKERS", "3")
    monkeypatch.setenv("sparkhu_engine", "LOCAL")
    settings = Settings()
    assert (settings.workers, settings.engine) == (3, "local")


def test_kubernetes_service_links_are_allowed_only_inside_a_pod() -> None:
    links = {
        "SPARKHU_MLFLOW_SERVICE_HOST": "10.0.0.5",
        "SPARKHU_MLFLOW_SERVICE_PORT": "5000",
        "SPARKHU_MLFLOW_SERVICE_PORT_HTTP": "5000",
        "SPARKHU_MLFLOW_PORT": "tcp://10.0.0.5:5000",
        "SPARKHU_MLFLOW_PORT_5000_TCP": "tcp://10.0.0.5:5000",
        "SPARKHU_MLFLOW_PORT_5000_TCP_PROTO": "tcp",
        "SPARKHU_MLFLOW_PORT_5000_TCP_PORT": "5000",
        "SPARKHU_MLFLOW_PORT_5000_TCP_ADDR": "10.0.0.5",
        "SPARKHU_POSTGRESQL_SERVICE_HOST": "10.0.0.6",
        "SPARKHU_MANIFEST_SYNC_PORT_8080_TCP_ADDR": "10.0.0.7",
    }
    check_environment({**links, **IN_POD})
    with pytest.raises(UnknownSettingsError) as raised:
        check_environment(links)  # outside Kubernetes such names are typos like any other
    assert raised.value.unknown == sorted(links)
    with pytest.raises(UnknownSettingsError, match="SPARKHU_MLFLOW_URL"):
        check_environment({"SPARKHU_MLFLOW_URL": "http://mlflow", **IN_POD})


def test_mlflow_ray_and_engine_settings(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ENGINES == ("local",)
    assert home.mlflow_uri is None
    assert home.mlflow == f"sqlite:///{home.home / 'mlflow.db'}"
    assert (home.ray_address, home.engine) == (None, "local")
    monkeypatch.setenv("SPARKHU_MLFLOW_URI", "http://mlflow:5000")
    monkeypatch.setenv("SPARKHU_RAY_ADDRESS", "ray://head:10001")
    configured = Settings()
    assert (configured.mlflow, configured.ray_address) == ("http://mlflow:5000", "ray://head:10001")
    monkeypatch.setenv("SPARKHU_RAY_ADDRESS", "  ")
    assert Settings().ray_address is None  # blank means unset: a local Ray


def test_an_unknown_engine_is_refused_with_the_known_ones(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKHU_ENGINE", "spark")
    get_settings.cache_clear()
    with pytest.raises(InvalidSettingsError) as raised:
        get_settings()
    assert str(raised.value) == "invalid setting SPARKHU_ENGINE='spark': unknown engine 'spark'; known engines: local"


def test_sources_and_displayed_values(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKHU_DATABASE_URL", "postgresql+psycopg2://app:s3cret@db:5432/ts")
    monkeypatch.setenv("SPARKHU_MLFLOW_URI", "postgresql://ml:hidden@db/mlflow")
    settings = Settings(workers=2)
    views = {view.name: view for view in settings.describe()}
    assert [view.variable for view in views.values()] == known_variables()
    assert (views["home"].source, views["database_url"].source) == ("environment", "environment")
    assert (views["workers"].source, views["engine"].source) == ("argument", "default")
    assert views["database_url"].value == "postgresql+psycopg2://app:***@db:5432/ts"
    assert views["mlflow_uri"].value == "postgresql://ml:***@db/mlflow"
    assert views["ray_address"].value == "(local Ray)"
    assert not [view for view in views.values() if "s3cret" in view.value or "hidden" in view.value]


TYPO_EXAMPLES = {"SPARKHU_LAKE_URL"}  # the misspelling the docs use as their example


def _mentioned_variables() -> dict[str, str]:
    """Every SPARKHU_* name written anywhere in the project (but this folder), with one file using it.

    Prefixes (``SPARKHU_SYNC_``, ``SPARKHU_SYNC_*``) are not names and are left out.
    """
    token = re.compile(r"(?<![A-Za-z0-9_])SPARKHU_[A-Za-z0-9_]*(?![A-Za-z0-9_*])")
    roots = ["charts", "manifest_sync", "tests", "scripts", "benchmarks", "src", "docs", "manifests", "tasks", ".ci"]
    files = [REPO / "README.md", REPO / "Makefile", *(p for root in roots for p in (REPO / root).rglob("*"))]
    found: dict[str, str] = {}
    for path in files:
        if not path.is_file() or path.suffix in {".json", ".pyc"} or Path(__file__).parent in path.parents:
            continue
        for name in token.findall(path.read_text(encoding="utf-8", errors="replace")):
            if not name.endswith("_") and name not in TYPO_EXAMPLES:
                found.setdefault(name, str(path.relative_to(REPO)))
    return found


def test_every_sparkhu_variable_the_project_mentions_is_a_setting_or_another_components() -> None:
    mentioned = _mentioned_variables()
    assert {"SPARKHU_MLFLOW_URI", "SPARKHU_SYNC_GIT_TOKEN_FILE", "SPARKHU_E2E_KEEP"} <= set(mentioned)
    known = set(known_variables())
    stray = {name: where for name, where in mentioned.items() if name not in known and not is_foreign(name, IN_POD)}
    assert stray == {}
