"""A failed local run through the real CLI: it fails fast and shows the end of each failed node's log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.executor import log_tail
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import NodeRun, WorkflowRun

from .builders import PY, container, task, workflow
from .conftest import Runner
from .test_cli import run_ids, write
from .test_retry import DAILY, always_fails, committed_retry_strategy
from .test_warm import ENTRY

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def timed_invoke(*args: str) -> tuple[Any, float]:
    started = time.monotonic()
    result = invoke(*args)
    return result, time.monotonic() - started


def test_a_failing_task_fails_the_cli_run_fast_and_shows_its_log_excerpt(home: Settings, tmp_path: Path) -> None:
    flow = write(tmp_path, always_fails(committed_retry_strategy()))  # the manifests' 15s, 30s backoff
    result, elapsed = timed_invoke("workflow", "run", flow, "--no-warm")
    assert result.exit_code == 1, result.output
    assert elapsed < 5.0, f"the failing run took {elapsed:.1f}s"
    [run_id] = run_ids(result.output)
    log_path = home.logs / run_id / "doomed.log"
    lines = result.output.splitlines()
    assert f"doomed Failed: last 15 lines of {log_path}" in lines
    assert lines.count("  boom") == 3  # every attempt was made, and each one's output is in the excerpt
    assert "  === attempt 3: " in result.output
    with session_scope(home.database) as session:
        node = session.query(NodeRun).filter_by(run_id=run_id, name="doomed").one()
        assert (node.status, node.attempts, node.exit_code) == ("Failed", 3, 1)


def test_a_python_exception_shows_its_error_line(home: Settings, tmp_path: Path) -> None:
    crash = container("crash", [PY, "-c", "raise ValueError('the input was odd')"])
    result = invoke("workflow", "run", write(tmp_path, workflow([task("crash", "crash")], [crash])), "--no-warm")
    assert result.exit_code == 1
    assert "  ValueError: the input was odd" in result.output.splitlines()


def test_excerpts_are_shown_for_a_few_failed_nodes_only(home: Settings, tmp_path: Path) -> None:
    failing = container("fail", [PY, "-c", "import sys; print('failed', sys.argv[1]); sys.exit(1)",
                                 "{{inputs.parameters.n}}"], ("n",))
    document = workflow([task("each", "fail", withItems=list(range(7)), args={"n": "{{item}}"})], [failing])
    document["spec"]["templates"][0]["dag"]["failFast"] = False
    result = invoke("workflow", "run", write(tmp_path, document), "--no-warm")
    assert result.exit_code == 1
    assert result.output.count(": last 15 lines of ") == 5
    assert "... and 2 more failed nodes." in result.output


@pytest.mark.parametrize("command", [["workflow", "run"], ["run"]])
def test_manifest_backoff_flag_is_documented(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "--manifest-backoff" in result.output


BAD_K = ["-p", "outlier-k=abc"]
INTERVAL = ["-p", "start=2024-03-01T00:00:00+00:00", "-p", "end=2024-03-02T00:00:00+00:00"]


@pytest.mark.parametrize("command", [
    pytest.param(["run", *BAD_K], id="sparkhu-run"),
    pytest.param(["workflow", "run", str(DAILY), *INTERVAL, *BAD_K], id="committed-manifest"),
])
def test_the_daily_pipeline_with_a_bad_parameter_fails_fast_and_names_it(
    home: Settings, tmp_path: Path, command: list[str]
) -> None:
    """End to end on the daily WorkflowTemplate: detect-outliers-iqr refuses k=abc (exit code 2)."""
    stamps = pd.date_range("2024-03-01", periods=144, freq="10min", tz="UTC")
    csv = tmp_path / "tiny.csv"
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": range(144)}).to_csv(csv, index=False)
    assert invoke("ingest", str(csv), "--series-id", "tiny").exit_code == 0

    result, elapsed = timed_invoke(*command)
    assert result.exit_code == 1, result.output
    assert "  error: parameter 'k' expects float, got 'abc'" in result.output.splitlines()
    assert "detect-outliers-iqr(0:0/1) Failed: last 15 lines of " in result.output
    # Before, the manifests' backoff alone slept 15 s + 30 s; the bound leaves room for a slow machine.
    assert elapsed < 30.0, f"the failing run took {elapsed:.1f}s"
    [run_id] = run_ids(result.output)
    with session_scope(home.database) as session:
        run = session.get(WorkflowRun, run_id)
        node = session.query(NodeRun).filter_by(run_id=run_id, name="detect-outliers-iqr(0:0/1)").one()
        assert run is not None and run.finished_at is not None and node.started_at is not None
        assert (node.status, node.attempts, node.exit_code) == ("Failed", 1, 2)
        assert node.duration_s is not None and node.duration_s < 5.0
        assert (run.finished_at - node.started_at).total_seconds() < 5.0  # the failure ends the run quickly


def test_an_exception_in_a_warm_worker_ends_its_log_with_the_error_line(run: Runner) -> None:
    result = run(workflow([task("crash", "crash")], [container("crash", ["fake", "crash"])]), warm=True,
                 warm_entrypoints=ENTRY)
    assert result.status == "Failed"
    assert log_tail(result.node("crash").log_path)[-1] == "ValueError: the task blew up"
