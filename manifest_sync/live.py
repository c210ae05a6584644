"""Reads the live objects of the managed kinds from the cluster: one list call per kind and namespace."""

from __future__ import annotations

from typing import Any

from manifest_sync.kinds import ObjectRef, ResourceKind
from manifest_sync.kube import KubeApi


def read_live(
    api: KubeApi, kinds: tuple[ResourceKind, ...], namespaces: frozenset[str]
) -> dict[ObjectRef, dict[str, Any]]:
    """Every live object of ``kinds`` in ``namespaces`` (cluster-scoped kinds: cluster-wide), by reference.

    Objects already being deleted (``deletionTimestamp`` set) are left out: they are on their way out and
    must be neither updated nor pruned again.
    """
    found: dict[ObjectRef, dict[str, Any]] = {}
    for kind in kinds:
        scopes: list[str | None] = [*sorted(namespaces)] if kind.namespaced else [None]
        for namespace in scopes:
            for item in api.list(kind.collection_path(namespace)):
                item.setdefault("kind", kind.kind)
                item.setdefault("apiVersion", kind.api_version)
                if not (item.get("metadata") or {}).get("deletionTimestamp"):
                    found[ObjectRef.of(item)] = item
    return found
