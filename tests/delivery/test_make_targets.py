"""`make images` and `make e2e` (scripts/e2e.sh) fail clearly without their tools, and `make images`
builds every image in order with the names from images.py (checked with a stand-in docker)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from sparkhu import __version__
from sparkhu.workflows.dockerfiles import image_builds
from tests.delivery.chart import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _fake_docker(tmp_path: Path, engine_up: bool) -> tuple[Path, Path]:
    """A docker stand-in that logs its arguments; `docker info` fails when the engine is down."""
    log = tmp_path / "docker.log"
    script = tmp_path / "docker"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n[ "$1" != info ] || exit {0 if engine_up else 1}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-s", "-C", str(REPO), *args], capture_output=True, text=True, check=False)


def test_make_images_without_an_engine_says_so(tmp_path: Path) -> None:
    docker, log = _fake_docker(tmp_path, engine_up=False)
    result = _make("images", f"DOCKER={docker}")
    assert result.returncode != 0
    assert "no Docker engine answers" in result.stderr
    assert log.read_text().split() == ["info"]  # nothing was built


def test_make_images_builds_base_then_tasks_then_controller(tmp_path: Path) -> None:
    docker, log = _fake_docker(tmp_path, engine_up=True)
    result = _make("images", f"DOCKER={docker}", "IMAGE_REGISTRY=ghcr.io/acme/")
    assert result.returncode == 0, result.stderr
    builds = [line.split() for line in log.read_text().splitlines()[1:]]
    expected = image_builds("ghcr.io/acme")
    assert len(builds) == len(expected)
    for argv, build in zip(builds, expected, strict=True):
        assert argv == [
            "build", "-f", build.dockerfile, "--build-arg", f"VERSION={__version__}",
            "--build-arg", "REGISTRY=ghcr.io/acme/", "-t", build.image, ".",
        ]  # fmt: skip


def test_e2e_script_checks_its_tools_first(tmp_path: Path) -> None:
    script = REPO / "scripts" / "e2e.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "docker", "kubectl", "helm", "git"):
        target = shutil.which(tool) or "/bin/true"
        (bin_dir / tool).symlink_to(target if tool in {"bash", "dirname"} else "/bin/true")
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "SPARKHU": str(REPO / ".venv" / "bin" / "sparkhu")}
    result = subprocess.run([str(bin_dir / "bash"), str(script)], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 1
    assert "neither kind nor k3d is on the PATH" in result.stderr
