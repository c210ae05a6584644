"""The controller's settings: source, target namespaces, managed kinds, mode and timing."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from manifest_sync import ownership
from manifest_sync.kinds import DEFAULT_KINDS, ResourceKind, resolve_kinds
from manifest_sync.schema import SCHEMA_ENV, default_schema_path
from manifest_sync.validate import Policy


class Mode(StrEnum):
    """``apply`` corrects drift on the next sync; ``detect-only`` reports it and leaves the live object."""

    APPLY = "apply"
    DETECT_ONLY = "detect-only"


@dataclass(frozen=True)
class SyncConfig:
    """Everything one controller instance syncs, and how.

    Attributes:
        repo: Git clone URL.
        branch: Branch to follow.
        path: Folder inside the repository holding the manifests.
        namespace: The controller's namespace: default for objects without one, home of its Lease.
        allowed_namespaces: Namespaces objects may target (default: just ``namespace``).
        kinds: Kinds that may be managed.
        mode: Apply or detect-only.
        prune: Delete our objects that git dropped.
        interval: Seconds between polls.
        schema_path: Argo JSON schema (default ``$SPARKHU_SYNC_ARGO_SCHEMA``, else the bundled v4.1.2 schema; a
            path that is not a file is refused at start-up; None: Argo objects are not schema-checked).
        kustomize: Command building a kustomization (None: ``kustomize`` or ``kubectl`` from PATH).
        workdir: Folder for the git working copy.
    """

    repo: str
    branch: str = "main"
    path: str = "."
    namespace: str = "default"
    allowed_namespaces: frozenset[str] = frozenset()
    kinds: tuple[str, ...] = DEFAULT_KINDS
    mode: Mode = Mode.APPLY
    prune: bool = True
    interval: float = 60.0
    schema_path: Path | None = field(default_factory=default_schema_path)
    kustomize: str | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "sparkhu-sync")

    def __post_init__(self) -> None:
        resolve_kinds(self.kinds)  # fail at start-up on an unknown kind, not at the first sync
        if self.interval <= 0:
            raise ValueError("interval must be positive")
        if self.schema_path is not None and not self.schema_path.is_file():
            raise ValueError(f"Argo schema {self.schema_path} is not a file (check --schema / {SCHEMA_ENV})")

    @property
    def namespaces(self) -> frozenset[str]:
        """The namespaces objects may target."""
        return self.allowed_namespaces or frozenset({self.namespace})

    @property
    def resource_kinds(self) -> tuple[ResourceKind, ...]:
        """The managed kinds, in apply order."""
        return resolve_kinds(self.kinds)

    @property
    def policy(self) -> Policy:
        """The validation policy these settings imply."""
        return Policy(frozenset(self.kinds), self.namespaces, self.namespace)

    @property
    def source(self) -> ownership.Source:
        """Repository and folder, as stamped on applied objects."""
        return ownership.Source(self.repo, self.path.strip("/") or ".")
