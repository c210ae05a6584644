"""The per-task Dockerfiles, generated from one template, and the list of images ``make images`` builds.

Every task image is the shared base image with the task's command as entrypoint, so the Dockerfiles
differ only in the task name. They are rendered from :data:`TASK_TEMPLATE` for every registered task
(:func:`sparkhu.tasks.spec.all_tasks`) into ``tasks/<name>/Dockerfile`` and checked like the
manifests: a newly registered task gets its Dockerfile from ``sparkhu manifests render``, and
``sparkhu manifests check`` fails while it is missing. The entrypoint is
:func:`sparkhu.workflows.containers.task_command`, the very command the WorkflowTemplate names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from string import Template

from sparkhu import __version__
from sparkhu.tasks.spec import TaskSpec, all_tasks
from sparkhu.workflows.containers import RUN_AS_USER, task_command
from sparkhu.workflows.generated import HEADER
from sparkhu.workflows.images import (
    BASE_COMPONENT,
    DEFAULT_REGISTRY,
    NAMESPACE,
    SOURCE_URL,
    base_image,
    controller_image,
    task_image,
)

TASKS_DIR = "tasks"
"""Folder, relative to the repository root, with one sub-folder per image built from the base."""

BASE_DOCKERFILE = f"{TASKS_DIR}/{BASE_COMPONENT}/Dockerfile"
"""The hand-written Dockerfile of the shared base image."""

CONTROLLER_DOCKERFILE = "manifest_sync/Dockerfile"
"""The hand-written Dockerfile of the manifest-sync controller."""

# `REGISTRY` carries its trailing slash (`ghcr.io/acme/`), so an empty value means "no prefix".
TASK_TEMPLATE = Template(
    """$header# Image of the Sparkhu task "$task": the shared base image with the task's command as entrypoint.
# Build from the repository root after the base (`make images` builds them all in order):
#   docker build -f $dockerfile --build-arg VERSION=$version -t $image .
ARG REGISTRY=
ARG VERSION=$version
FROM $${REGISTRY}$namespace/$base:$${VERSION}

ARG VERSION
ARG SOURCE=$source
LABEL org.opencontainers.image.title="$namespace-task-$task" \\
      org.opencontainers.image.description="Sparkhu task $task ($command)" \\
      org.opencontainers.image.source="$${SOURCE}" \\
      org.opencontainers.image.version="$${VERSION}" \\
      org.opencontainers.image.licenses="Apache-2.0"

USER $uid:$uid
# Same command as the task's Argo container template, which also names it explicitly.
ENTRYPOINT $entrypoint
CMD ["--help"]
"""
)


def task_dockerfile_path(task: str) -> str:
    """Return the Dockerfile of ``task`` relative to the repository root, e.g. ``tasks/plan/Dockerfile``."""
    return f"{TASKS_DIR}/{task}/Dockerfile"


def task_dockerfile(spec: TaskSpec, version: str = __version__) -> str:
    """Return the text of the Dockerfile that builds the image of ``spec``.

    Args:
        spec: The task's declaration.
        version: Default of the ``VERSION`` build argument: the base image tag and the version label.

    """
    command = task_command(spec)
    return TASK_TEMPLATE.substitute(
        header=HEADER,
        task=spec.name,
        dockerfile=task_dockerfile_path(spec.name),
        image=task_image(spec.name, version=version),
        version=version,
        namespace=NAMESPACE,
        base=BASE_COMPONENT,
        source=SOURCE_URL,
        command=" ".join(command),
        uid=RUN_AS_USER,
        entrypoint=json.dumps(command),
    )


def rendered_dockerfiles(version: str = __version__) -> dict[str, str]:
    """Return ``<task>/Dockerfile`` (relative to ``tasks/``) -> text for every registered task."""
    return {f"{spec.name}/Dockerfile": task_dockerfile(spec, version) for spec in all_tasks().values()}


@dataclass(frozen=True)
class ImageBuild:
    """One image to build: its Dockerfile (relative to the repository root) and its full reference."""

    dockerfile: str
    image: str


def image_builds(registry: str = DEFAULT_REGISTRY, version: str = __version__) -> list[ImageBuild]:
    """Return every Sparkhu image in build order: the base first, since the task images start from it.

    Args:
        registry: Optional registry prefix, see :func:`sparkhu.workflows.images.normalise_registry`.
        version: Image tag.

    """
    builds = [ImageBuild(BASE_DOCKERFILE, base_image(registry, version))]
    builds += [ImageBuild(task_dockerfile_path(name), task_image(name, registry, version)) for name in all_tasks()]
    builds.append(ImageBuild(CONTROLLER_DOCKERFILE, controller_image(registry, version)))
    return builds
