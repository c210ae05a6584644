"""Image names come from one place and follow sparkhu/task-<name>:<version>."""

from __future__ import annotations

import pytest

from sparkhu import __version__
from sparkhu.workflows.images import base_image, normalise_registry, task_image


def test_default_names_use_the_package_version() -> None:
    assert task_image("validate") == f"sparkhu/task-validate:{__version__}"
    assert task_image("regularity-decision", version="1.2.3") == "sparkhu/task-regularity-decision:1.2.3"
    assert base_image() == f"sparkhu/base:{__version__}"


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ("ghcr.io/acme", "ghcr.io/acme/sparkhu/task-plan:9.9"),
        ("ghcr.io/acme/", "ghcr.io/acme/sparkhu/task-plan:9.9"),
        ("registry.local:5000", "registry.local:5000/sparkhu/task-plan:9.9"),
        ("", "sparkhu/task-plan:9.9"),
    ],
)
def test_registry_prefix(registry: str, expected: str) -> None:
    assert task_image("plan", registry=registry, version="9.9") == expected


@pytest.mark.parametrize("registry", ["https://ghcr.io", "GHCR.io/acme", "ghcr.io//acme", "a b"])
def test_invalid_registry_prefixes_are_refused(registry: str) -> None:
    with pytest.raises(ValueError, match="invalid image registry prefix"):
        normalise_registry(registry)
