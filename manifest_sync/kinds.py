"""The Kubernetes kinds the controller may manage, and how their REST paths are built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceKind:
    """One API resource: its kind, group/version, plural and whether it lives in a namespace.

    Attributes:
        kind: The ``kind`` field of its objects, e.g. ``WorkflowTemplate``.
        api_version: ``group/version`` (``v1`` for the core group).
        plural: The resource name in URLs, e.g. ``workflowtemplates``.
        namespaced: False for cluster-scoped kinds such as ``ClusterWorkflowTemplate``.
        order: Apply order (lower first): config before templates before the cron jobs that use them.
    """

    kind: str
    api_version: str
    plural: str
    namespaced: bool
    order: int

    def collection_path(self, namespace: str | None) -> str:
        """URL path of the collection (list and create), in ``namespace`` when the kind is namespaced."""
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced:
            if not namespace:
                raise ValueError(f"{self.kind} is namespaced: a namespace is required")
            return f"{prefix}/namespaces/{namespace}/{self.plural}"
        return f"{prefix}/{self.plural}"

    def object_path(self, namespace: str | None, name: str) -> str:
        """URL path of one object (get, patch, delete)."""
        return f"{self.collection_path(namespace)}/{name}"


ARGO_API = "argoproj.io/v1alpha1"

KNOWN_KINDS: dict[str, ResourceKind] = {
    kind.kind: kind
    for kind in (
        ResourceKind("ConfigMap", "v1", "configmaps", namespaced=True, order=0),
        ResourceKind("ClusterWorkflowTemplate", ARGO_API, "clusterworkflowtemplates", namespaced=False, order=1),
        ResourceKind("WorkflowTemplate", ARGO_API, "workflowtemplates", namespaced=True, order=2),
        ResourceKind("CronWorkflow", ARGO_API, "cronworkflows", namespaced=True, order=3),
    )
}

DEFAULT_KINDS: tuple[str, ...] = ("WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "ConfigMap")

LEASE = ResourceKind("Lease", "coordination.k8s.io/v1", "leases", namespaced=True, order=0)
EVENT = ResourceKind("Event", "v1", "events", namespaced=True, order=0)


def resolve_kinds(names: tuple[str, ...] | list[str]) -> tuple[ResourceKind, ...]:
    """The resource kinds for ``names``, in apply order.

    Raises:
        ValueError: A name is not one of the kinds the controller knows how to manage.
    """
    unknown = sorted(set(names) - set(KNOWN_KINDS))
    if unknown:
        raise ValueError(f"unsupported kind(s) {unknown}; supported: {sorted(KNOWN_KINDS)}")
    return tuple(sorted((KNOWN_KINDS[name] for name in set(names)), key=lambda k: k.order))


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Identity of one object: kind, namespace (None when cluster-scoped) and name."""

    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    @property
    def resource(self) -> ResourceKind:
        """The resource kind this object belongs to."""
        return KNOWN_KINDS[self.kind]

    @property
    def path(self) -> str:
        """URL path of the object."""
        return self.resource.object_path(self.namespace, self.name)

    @classmethod
    def of(cls, obj: dict[str, object]) -> ObjectRef:
        """The reference of an object dict (kind, metadata.namespace, metadata.name)."""
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return cls(str(obj.get("kind")), meta.get("namespace") or None, str(meta.get("name")))
