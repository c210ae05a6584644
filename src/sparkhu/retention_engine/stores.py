"""The stores a policy can name, built from settings: one factory per store (adding a store is one line)."""

from __future__ import annotations

from collections.abc import Callable

from sparkhu.config import Settings
from sparkhu.metadata.run_retention import RunStore
from sparkhu.retention.store import Store, StoreError
from sparkhu.storage.file_retention import FileStore
from sparkhu.storage.lake import Lake
from sparkhu.storage.retention import LakeStore


def _lake(settings: Settings) -> Store:
    return LakeStore(Lake(settings.lake, settings.storage_options), "lake")


def _quarantine(settings: Settings) -> Store:
    return LakeStore(Lake(settings.lake, settings.storage_options), "quarantine")


def _mlflow(settings: Settings) -> Store:
    from sparkhu.tracking.retention import MlflowStore  # mlflow costs seconds: only for an mlflow policy

    return MlflowStore(settings.mlflow, settings.home)


def _reports(settings: Settings) -> Store:
    return FileStore(settings.home, "reports")


def _runs(settings: Settings) -> Store:
    return RunStore(settings.database, settings.logs, settings.home)


STORES: dict[str, Callable[[Settings], Store]] = {
    "lake": _lake,
    "quarantine": _quarantine,
    "mlflow": _mlflow,
    "reports": _reports,
    "runs": _runs,
}
"""Store name (a policy's ``scope.store``) → the adapter for the configured install."""


def store_for(name: str, settings: Settings) -> Store:
    """The adapter of store ``name``.

    Raises:
        StoreError: No adapter of that name is installed.
    """
    factory = STORES.get(name)
    if factory is None:
        raise StoreError(f"no retention adapter for store {name!r} (available: {', '.join(sorted(STORES))})")
    return factory(settings)
