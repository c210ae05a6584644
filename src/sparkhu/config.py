"""One settings object for the whole system, read from ``SPARKHU_*`` environment variables.

Every ``SPARKHU_*`` variable must be a known setting: a misspelt one (``SPARKHU_LAKE_URL``) is an error
that names it and the closest known name, instead of being silently ignored. Variables of other
components are left alone: :data:`FOREIGN_PREFIXES`, and inside a Kubernetes pod the service links
Kubernetes injects for the chart's own services (``SPARKHU_MLFLOW_SERVICE_HOST``, ``SPARKHU_MLFLOW_PORT``...).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "SPARKHU_"

ENGINES: tuple[str, ...] = ("local",)
"""Names of the engines a task can run its per-series work on (``SPARKHU_ENGINE``)."""

FOREIGN_PREFIXES: tuple[str, ...] = ("SPARKHU_SYNC_", "SPARKHU_TEST_", "SPARKHU_E2E_")
"""Prefixes owned by other components: the manifest-sync controller, test fixtures, ``scripts/e2e.sh``."""

SERVICE_LINK = re.compile(r"_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$")
"""Names of the variables Kubernetes injects into pods for each Service (``<SERVICE>_SERVICE_HOST``...)."""

IN_KUBERNETES = "KUBERNETES_SERVICE_HOST"
"""Set by Kubernetes in every pod: service-link variables are only tolerated there."""

_OPTIONAL_TEXT = ("lake_uri", "database_url", "mlflow_uri", "ray_address", "run_id", "retention_tokens",
                  "retention_tokens_file")


class SettingsError(Exception):
    """The environment does not describe a valid configuration (the CLI exits with code 2)."""


class UnknownSettingsError(SettingsError):
    """``SPARKHU_*`` environment variables that no setting reads.

    Args:
        unknown: The unknown variable names, as set.
        known: Every known variable name.
    """

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        self.unknown = unknown
        self.known = known
        self.suggestions = {name: _closest(name, known) for name in unknown}
        super().__init__(self._message())

    def _message(self) -> str:
        """One line: each unknown name with its suggestion, then the known names."""
        parts = [name + (f" (did you mean {hint}?)" if hint else "") for name, hint in self.suggestions.items()]
        noun = "variable" if len(parts) == 1 else "variables"
        foreign = ", ".join(f"{prefix}*" for prefix in FOREIGN_PREFIXES)
        return (
            f"unknown environment {noun} {', '.join(parts)}; known: {', '.join(self.known)} "
            f"({foreign} belong to other components)"
        )


class InvalidSettingsError(SettingsError):
    """A known ``SPARKHU_*`` variable holds a value its setting refuses."""


class SettingView(NamedTuple):
    """One setting as ``sparkhu config`` shows it."""

    name: str
    variable: str
    value: str
    source: str


class Settings(BaseSettings):
    """Effective configuration. Every path defaults to a place under ``home``.

    Attributes:
        home: Folder that holds everything of an embedded install (lake, database, run logs).
        lake_uri: Root of the Delta Lake tables (a folder, or ``s3://bucket/prefix`` in a cluster).
        database_url: SQLAlchemy URL of the metadata database (SQLite by default, PostgreSQL in a cluster).
        mlflow_uri: MLflow tracking URI (default a SQLite database under ``home``).
        logs_dir: Folder for workflow run logs.
        workers: Processes used for per-series work and for parallel workflow branches.
        storage_options: Extra options for the object store (e.g. ``AWS_ENDPOINT_URL`` for MinIO).
        engine: Engine of the tasks' per-series work, one of :data:`ENGINES`.
        ray_address: Address of a Ray cluster for tuning and training (None: a local Ray).
        run_id: Id of the workflow run a task belongs to (set by the executor or by Argo).
        retention_tokens: Tokens of the retention service, ``name:scope:sha256-hex`` entries separated by
            commas (only digests: see docs/retention.md).
        retention_tokens_file: A file of such entries, one a line (a mounted Secret); read with the above.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    home: Path = Field(default=Path(".sparkhu"))
    lake_uri: str | None = None
    database_url: str | None = None
    mlflow_uri: str | None = None
    logs_dir: Path | None = None
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1, le=256)
    storage_options: dict[str, str] = Field(default_factory=dict)
    engine: str = "local"
    ray_address: str | None = None
    run_id: str | None = None
    retention_tokens: str | None = None
    retention_tokens_file: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_variables(cls, data: Any) -> Any:
        check_environment(os.environ)
        return data

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator(*_OPTIONAL_TEXT, mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in ENGINES:
            raise ValueError(f"unknown engine {value!r}; known engines: {', '.join(ENGINES)}")
        return name

    @property
    def lake(self) -> str:
        """Root URI of the Delta tables."""
        return self.lake_uri or str(self.home / "lake")

    @property
    def database(self) -> str:
        """SQLAlchemy URL of the metadata database."""
        return self.database_url or f"sqlite:///{self.home / 'sparkhu.db'}"

    @property
    def mlflow(self) -> str:
        """MLflow tracking URI (a SQLite backend under ``home`` unless configured)."""
        return self.mlflow_uri or f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def logs(self) -> Path:
        """Folder for run logs."""
        return self.logs_dir or self.home / "logs"

    def effective(self) -> dict[str, str]:
        """The values in force, as strings, for display (passwords and storage option values hidden)."""
        return {
            "home": str(self.home),
            "lake_uri": self.lake,
            "database_url": _hide_password(self.database),
            "mlflow_uri": _hide_password(self.mlflow),
            "logs_dir": str(self.logs),
            "workers": str(self.workers),
            "storage_options": ", ".join(sorted(self.storage_options)) or "(none)",
            "engine": self.engine,
            "ray_address": _hide_password(self.ray_address) if self.ray_address else "(local Ray)",
            "run_id": self.run_id or "(none)",
            "retention_tokens": "(set)" if self.retention_tokens else "(none)",
            "retention_tokens_file": str(self.retention_tokens_file or "(none)"),
        }

    def source(self, name: str, environ: Mapping[str, str] | None = None) -> str:
        """Where the value of setting ``name`` came from: ``environment``, ``argument`` or ``default``."""
        variables = {key.upper() for key in (os.environ if environ is None else environ)}
        if variable_name(name) in variables:
            return "environment"
        return "argument" if name in self.model_fields_set else "default"

    def describe(self) -> list[SettingView]:
        """Every setting with its variable, displayed value and source, in declaration order."""
        shown = self.effective()
        names = type(self).model_fields
        return [SettingView(name, variable_name(name), shown[name], self.source(name)) for name in names]


def variable_name(setting: str) -> str:
    """The environment variable of a setting, e.g. ``lake_uri`` -> ``SPARKHU_LAKE_URI``."""
    return f"{ENV_PREFIX}{setting.upper()}"


def known_variables() -> list[str]:
    """Every environment variable a setting reads, in declaration order."""
    return [variable_name(name) for name in Settings.model_fields]


def is_foreign(name: str, environ: Mapping[str, str]) -> bool:
    """True for a ``SPARKHU_*`` variable that another component owns (see the module docstring)."""
    upper = name.upper()
    if upper.startswith(FOREIGN_PREFIXES):
        return True
    return IN_KUBERNETES in environ and SERVICE_LINK.search(upper) is not None


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse ``SPARKHU_*`` variables that are neither a setting nor another component's.

    Raises:
        UnknownSettingsError: Naming every unknown variable and the closest known name.
    """
    known = known_variables()
    unknown = sorted(
        name
        for name in environ
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known and not is_foreign(name, environ)
    )
    if unknown:
        raise UnknownSettingsError(unknown, known)


def _closest(name: str, known: list[str]) -> str | None:
    """The known variable most like ``name``, if any is close enough (compared without the shared prefix)."""
    by_suffix = {variable.removeprefix(ENV_PREFIX): variable for variable in known}
    matches = difflib.get_close_matches(name.upper().removeprefix(ENV_PREFIX), list(by_suffix), n=1, cutoff=0.6)
    return by_suffix[matches[0]] if matches else None


def _hide_password(url: str) -> str:
    """Mask the password part of a URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def _invalid(error: ValidationError) -> InvalidSettingsError:
    """One-line description of the refused values, by environment variable."""
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{variable_name(field)}={item.get('input')!r}: {message}")
    return InvalidSettingsError("invalid setting " + "; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process (tests call ``get_settings.cache_clear()``).

    Raises:
        UnknownSettingsError: A ``SPARKHU_*`` variable is not a known setting.
        InvalidSettingsError: A known variable holds a refused value.
    """
    try:
        return Settings()
    except ValidationError as error:
        raise _invalid(error) from error
