"""Render the workflow objects to deterministic YAML files, and compare those files with the code.

The rendered files under ``manifests/`` are committed: they are what Argo (through the manifest-sync
controller) and the local executor run, and a test re-renders them and diffs them with the files, so
the Python definitions and the YAML can never drift apart. Each file holds one object and is named
``<kind>-<name>.yaml`` in lower case.

Beside the manifests, the same rendering produces every other generated file of a checkout (see
:class:`Layout`): a byte-for-byte copy of the manifests inside the Helm chart (Helm can only read
files within the chart, and this keeps one source of truth: the Python definitions) and one
Dockerfile per task (:mod:`sparkhu.workflows.dockerfiles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hera.workflows import Workflow

from sparkhu.workflows.cron import daily_cron, retention_cron
from sparkhu.workflows.daily import daily_univariate
from sparkhu.workflows.dockerfiles import TASKS_DIR, rendered_dockerfiles
from sparkhu.workflows.generated import HEADER, GeneratedTree, diff_tree, write_tree
from sparkhu.workflows.images import DEFAULT_REGISTRY
from sparkhu.workflows.models import models_template
from sparkhu.workflows.multivariate import multivariate_template
from sparkhu.workflows.retention import retention_template

CHART_MANIFESTS_DIR = "charts/sparkhu/files/manifests"
"""Where the Helm chart keeps its copy of the manifests, relative to the repository root."""

PACKAGE_MANIFESTS_DIR = "src/sparkhu/manifests"
"""The package's copy (installed with it, default registry): what ``sparkhu run`` executes locally."""

MANIFEST_PATTERN = "*.yaml"

DOCKERFILE_PATTERN = "*/Dockerfile"


def workflow_objects(registry: str = DEFAULT_REGISTRY) -> list[Workflow]:
    """Return every Argo object Sparkhu ships, in a stable order.

    Args:
        registry: Optional image registry prefix for the task images.

    """
    return [daily_univariate(registry), multivariate_template(registry), models_template(registry),
            retention_template(registry), daily_cron(), retention_cron()]


def manifest_filename(document: dict[str, Any]) -> str:
    """Return the file name of a Kubernetes object, e.g. ``cronworkflow-sparkhu-daily.yaml``."""
    return f"{document['kind'].lower()}-{document['metadata']['name']}.yaml"


def rendered_manifests(registry: str = DEFAULT_REGISTRY) -> dict[str, str]:
    """Render every object to YAML text in memory.

    Returns:
        File name to file content, sorted by file name.

    """
    rendered: dict[str, str] = {}
    for obj in workflow_objects(registry):
        filename = manifest_filename(obj.to_dict())
        if filename in rendered:
            raise ValueError(f"two workflow objects render to the same file {filename!r}")
        rendered[filename] = HEADER + obj.to_yaml()
    return dict(sorted(rendered.items()))


def render_manifests(out_dir: Path, registry: str = DEFAULT_REGISTRY) -> list[Path]:
    """Write every object to ``out_dir`` and delete generated files that no object renders any more.

    Files without the generated header are never touched.

    Args:
        out_dir: Folder to write into; created if missing.
        registry: Optional image registry prefix for the task images.

    Returns:
        The paths written, sorted by name.

    """
    return write_tree(GeneratedTree(out_dir, rendered_manifests(registry), MANIFEST_PATTERN))


def diff_manifests(directory: Path, registry: str = DEFAULT_REGISTRY) -> list[str]:
    """Compare the files in ``directory`` with a fresh rendering.

    Returns:
        One human-readable entry per difference (missing, stale or changed file, with a unified diff
        for changed ones); empty when the files are up to date.

    """
    return diff_tree(GeneratedTree(directory, rendered_manifests(registry), MANIFEST_PATTERN))


@dataclass(frozen=True)
class Layout:
    """Where each kind of generated file lives in a checkout.

    Attributes:
        manifests: The ``manifests/`` folder (what the controller syncs and the executor runs).
        chart_manifests: The chart's copy of the manifests (``charts/sparkhu/files/manifests``).
        tasks: The ``tasks/`` folder with one Dockerfile per task.
        package_manifests: The package's copy (``src/sparkhu/manifests``), or None outside a checkout.

    """

    manifests: Path
    chart_manifests: Path
    tasks: Path
    package_manifests: Path | None = None

    @classmethod
    def beside(cls, manifests: Path) -> Layout:
        """Return the layout of the checkout whose ``manifests/`` folder is ``manifests``.

        The chart copy, the package copy and the Dockerfiles go where a checkout keeps them, next to that
        folder (the package copy only where the checkout's package folder exists).
        """
        root = manifests.parent
        package = root / PACKAGE_MANIFESTS_DIR
        return cls(manifests=manifests, chart_manifests=root / CHART_MANIFESTS_DIR, tasks=root / TASKS_DIR,
                   package_manifests=package if package.parent.is_dir() else None)

    def trees(self, registry: str = DEFAULT_REGISTRY) -> list[GeneratedTree]:
        """Return every generated tree of this layout, rendered once."""
        manifests = rendered_manifests(registry)
        trees = [
            GeneratedTree(self.manifests, manifests, MANIFEST_PATTERN),
            GeneratedTree(self.chart_manifests, manifests, MANIFEST_PATTERN),
            GeneratedTree(self.tasks, rendered_dockerfiles(), DOCKERFILE_PATTERN),
        ]
        if self.package_manifests is not None:
            # Always the default registry: the local executor runs these and pulls no image.
            package = manifests if registry == DEFAULT_REGISTRY else rendered_manifests(DEFAULT_REGISTRY)
            trees.append(GeneratedTree(self.package_manifests, package, MANIFEST_PATTERN))
        return trees


def render_all(layout: Layout, registry: str = DEFAULT_REGISTRY) -> list[Path]:
    """Write the manifests, the chart's copy of them and the task Dockerfiles; delete stale generated files.

    Args:
        layout: Where each kind of file goes.
        registry: Optional image registry prefix for the task images in the manifests.

    Returns:
        Every path written: manifests, chart copy, then Dockerfiles.

    """
    return [path for tree in layout.trees(registry) for path in write_tree(tree)]


def diff_all(layout: Layout, registry: str = DEFAULT_REGISTRY) -> list[str]:
    """Compare every generated file of ``layout`` with a fresh rendering; empty when all are up to date."""
    return [problem for tree in layout.trees(registry) for problem in diff_tree(tree)]
