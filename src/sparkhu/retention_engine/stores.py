"""The stores a policy can name, built from settings: one factory per store (adding a store is one line)."""

from __future__ import annotations

from collections.abc import Callable

from sparkhu.config import Settings
from sparkhu.retention.store import Store, StoreError
from sparkhu.storage.lake import Lake
from sparkhu.storage.retention import LakeStore


def _lake(settings: Settings) -> Store:
    return LakeStore(Lake(settings.lake, settings.storage_options), "lake")


def _quarantine(settings: Settings) -> Store:
    return LakeStore(Lake(settings.lake, settings.storage_options), "quarantine")


STORES: dict[str, Callable[[Settings], Store]] = {
    "lake": _lake,
    "quarantine": _quarantine,
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
