"""The one place that names Sparkhu's container images.

Every task runs in its own image, ``sparkhu/task-<name>:<version>``, built on a shared base image,
``sparkhu/base:<version>``; the manifest-sync controller runs in ``sparkhu/manifest-sync:<version>``.
The version is the package version, so the manifests rendered from a release always point at the
images built from that same release. A registry prefix (for example ``ghcr.io/acme``) can be put in
front when the images live in a private registry. The Helm chart composes the same references from
its values (``image.registry``, ``image.tag``), ``make images`` builds them (``sparkhu manifests images``).
"""

from __future__ import annotations

import re

from sparkhu import __version__

NAMESPACE = "sparkhu"
"""Image namespace shared by every Sparkhu image."""

SOURCE_URL = "https://github.com/sparkhu/sparkhu"
"""Source repository recorded in every image's ``org.opencontainers.image.source`` label."""

DEFAULT_REGISTRY = ""
"""No prefix: images resolve against the cluster's default registry (Docker Hub or a mirror)."""

BASE_COMPONENT = "base"
"""Component name of the shared base image the task images build on."""

CONTROLLER_COMPONENT = "manifest-sync"
"""Component name of the manifest-sync controller's image (manifest_sync/Dockerfile)."""

TASK_PREFIX = "task-"
"""Prefix of every task image's component name: ``task-<name>``."""

# A registry prefix is a host (optionally with a port) and optional path segments, without a scheme.
_REGISTRY_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*$")


def normalise_registry(registry: str) -> str:
    """Return ``registry`` without a trailing slash, after checking that it is a valid image prefix.

    Args:
        registry: A registry host with optional port and path, e.g. ``ghcr.io/acme``; ``""`` for none.

    Raises:
        ValueError: If the prefix contains a scheme, upper-case letters or other invalid characters.

    """
    prefix = registry.strip().rstrip("/")
    if prefix and not _REGISTRY_RE.match(prefix):
        raise ValueError(
            f"invalid image registry prefix {registry!r}: expected a lower-case host with optional "
            "port and path and no scheme, such as 'ghcr.io/acme' or 'registry.local:5000/team'"
        )
    return prefix


def image_reference(component: str, registry: str = DEFAULT_REGISTRY, version: str = __version__) -> str:
    """Return the full reference of the image for ``component`` (``base`` or ``task-<name>``).

    Args:
        component: Image component name, e.g. ``base`` or ``task-validate``.
        registry: Optional registry prefix, see :func:`normalise_registry`.
        version: Image tag; defaults to the installed package version.

    """
    prefix = normalise_registry(registry)
    repository = f"{NAMESPACE}/{component}"
    return f"{prefix}/{repository}:{version}" if prefix else f"{repository}:{version}"


def task_image(task: str, registry: str = DEFAULT_REGISTRY, version: str = __version__) -> str:
    """Return the image reference of the task named ``task``, e.g. ``sparkhu/task-validate:0.1.0``."""
    return image_reference(f"{TASK_PREFIX}{task}", registry, version)


def base_image(registry: str = DEFAULT_REGISTRY, version: str = __version__) -> str:
    """Return the image reference of the shared base image, e.g. ``sparkhu/base:0.1.0``."""
    return image_reference(BASE_COMPONENT, registry, version)


def controller_image(registry: str = DEFAULT_REGISTRY, version: str = __version__) -> str:
    """Return the image reference of the manifest-sync controller, e.g. ``sparkhu/manifest-sync:0.1.0``."""
    return image_reference(CONTROLLER_COMPONENT, registry, version)
