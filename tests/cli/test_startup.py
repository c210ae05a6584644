"""Start-up cost of the ``sparkhu`` CLI: building the app loads none of the heavy libraries.

Every command, each task container's ``sparkhu task run`` included, imports ``sparkhu.cli.main``; the
command modules import pandas, the lake, SQLAlchemy, the executor and the like inside the functions that
use them. These tests check that behaviour (which modules get imported), not a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from sparkhu import executor
from sparkhu.cli import workflow
from sparkhu.cli.main import app
from sparkhu.config import Settings

HEAVY = ("pandas", "scipy", "sqlalchemy", "deltalake", "pyarrow", "hera", "matplotlib", "mlflow")

# Prints, as its last line, the heavy top-level packages that `sparkhu --help` (which builds every
# command, and so evaluates their option annotations) left imported.
PROBE = f"""
import json, sys
from sparkhu.cli.main import invoke
code = invoke(["--help"])
print(json.dumps({{"code": code, "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {set(HEAVY)!r})}}))
"""


def test_importing_the_cli_loads_no_heavy_package() -> None:
    code = f"import sparkhu.cli.main, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"


def test_root_help_builds_every_command_without_heavy_packages(home: Settings) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}
    assert "Usage: sparkhu" in done.stdout


def _command_paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group below ``command``, as the words that name it."""
    yield path
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _command_paths(sub, (*path, name))


COMMANDS = list(_command_paths(typer.main.get_command(app)))


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "sparkhu")
def test_every_help_renders(words: tuple[str, ...], home: Settings) -> None:
    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_help_states_the_executors_local_retry_delay() -> None:
    # The CLI repeats the constant so that its help text needs no import of the executor.
    assert workflow.LOCAL_MAX_DELAY_S == executor.LOCAL_MAX_DELAY_S
    assert f"delays of at most {executor.LOCAL_MAX_DELAY_S:g}s" in workflow.MANIFEST_BACKOFF_HELP
