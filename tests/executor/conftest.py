"""Fixtures of the executor tests: a runner bound to the test's SPARKHU_HOME."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sparkhu.config import Settings
from sparkhu.executor import RunResult, run_workflow

Runner = Callable[..., RunResult]


@pytest.fixture()
def trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file nodes append to (named by $TRACE in their environment)."""
    path = tmp_path / "trace.txt"
    monkeypatch.setenv("TRACE", str(path))
    return path


@pytest.fixture()
def run(home: Settings) -> Runner:
    """Run a workflow document with the test's settings (cold processes unless warm=True)."""

    def runner(document: dict[str, Any], parameters: dict[str, str] | None = None,
               **options: Any) -> RunResult:
        options.setdefault("warm", False)
        return run_workflow(document, parameters or {}, home, **options)

    return runner
