"""One settings object for the whole system, read from ``SPARKHU_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Effective configuration. Every path defaults to a place under ``home``.

    Attributes:
        home: Folder that holds everything of an embedded install (lake, database, run logs).
        lake_uri: Root of the Delta Lake tables (a folder, or ``s3://bucket/prefix`` in a cluster).
        database_url: SQLAlchemy URL of the metadata database (SQLite by default, PostgreSQL in a cluster).
        logs_dir: Folder for workflow run logs.
        workers: Processes used for per-series work and for parallel workflow branches.
        storage_options: Extra options for the object store (e.g. ``AWS_ENDPOINT_URL`` for MinIO).
        run_id: Id of the workflow run a task belongs to (set by the executor or by Argo).
    """

    model_config = SettingsConfigDict(env_prefix="SPARKHU_", extra="ignore")

    home: Path = Field(default=Path(".sparkhu"))
    lake_uri: str | None = None
    database_url: str | None = None
    logs_dir: Path | None = None
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1, le=256)
    storage_options: dict[str, str] = Field(default_factory=dict)
    run_id: str | None = None

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def lake(self) -> str:
        """Root URI of the Delta tables."""
        return self.lake_uri or str(self.home / "lake")

    @property
    def database(self) -> str:
        """SQLAlchemy URL of the metadata database."""
        return self.database_url or f"sqlite:///{self.home / 'sparkhu.db'}"

    @property
    def logs(self) -> Path:
        """Folder for run logs."""
        return self.logs_dir or self.home / "logs"

    def effective(self) -> dict[str, str]:
        """The values in force, as strings, for display (``sparkhu config``)."""
        return {
            "home": str(self.home),
            "lake_uri": self.lake,
            "database_url": _hide_password(self.database),
            "logs_dir": str(self.logs),
            "workers": str(self.workers),
            "storage_options": ", ".join(sorted(self.storage_options)) or "(none)",
        }


def _hide_password(url: str) -> str:
    """Mask the password part of a database URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process (tests call ``get_settings.cache_clear()``)."""
    return Settings()
