"""Retry timing: the manifests' limits with short local delays by default, their backoff exactly on request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sparkhu.executor import BackoffMode, RetryTiming, load_workflow, log_tail
from sparkhu.executor.retry import LOCAL_MAX_DELAY_S, manifest_delay, policy_retries
from sparkhu.executor.spec import Backoff, RetryStrategy

from .builders import PY, container, shell, task, workflow
from .conftest import Runner

DAILY = Path(__file__).resolve().parents[2] / "manifests" / "workflowtemplate-sparkhu-daily-univariate.yaml"
BOOM = "import sys; print('boom'); sys.exit(1)"


def committed_retry_strategy() -> dict[str, Any]:
    """The retryStrategy of the committed daily manifest's first task template, as written in the YAML."""
    document = yaml.safe_load(DAILY.read_text())
    strategies = [t["retryStrategy"] for t in document["spec"]["templates"] if "retryStrategy" in t]
    assert strategies and all(s == strategies[0] for s in strategies), "every task has the same strategy"
    return dict(strategies[0])


def committed_strategy() -> RetryStrategy:
    """The same strategy as the executor parses it."""
    retries = {t.retry for t in load_workflow(DAILY).templates.values() if t.retry is not None}
    [strategy] = retries
    return strategy


def always_fails(strategy: dict[str, Any], command: list[str] | None = None) -> dict[str, Any]:
    """A one-task workflow whose task prints 'boom' and exits 1 on every attempt."""
    doomed = container("doomed", command or [PY, "-c", BOOM], retryStrategy=strategy)
    return workflow([task("doomed", "doomed")], [doomed])


def test_the_committed_manifests_wait_15s_then_30s_and_local_runs_cap_that() -> None:
    strategy = committed_strategy()
    assert (strategy.limit, strategy.policy) == ("2", "Always")
    manifest, local = RetryTiming(BackoffMode.MANIFEST), RetryTiming()
    assert [manifest.delay(strategy, n, elapsed_s=0.0) for n in (1, 2)] == [15.0, 30.0]
    assert [local.delay(strategy, n, elapsed_s=0.0) for n in (1, 2)] == [LOCAL_MAX_DELAY_S] * 2
    assert local.mode is BackoffMode.LOCAL and LOCAL_MAX_DELAY_S <= 0.2


@pytest.mark.parametrize(("backoff", "failures", "expected"), [
    (Backoff(15.0, 2.0, 600.0), 1, 15.0),
    (Backoff(15.0, 2.0, 600.0), 3, 60.0),
    (Backoff(1.0, 3.0, cap_s=5.0), 3, 5.0),  # 9 s, capped
    (Backoff(0.05, 2.0), 2, 0.1),
])
def test_manifest_mode_delays_equal_the_manifests(backoff: Backoff, failures: int, expected: float) -> None:
    strategy = RetryStrategy("5", "Always", backoff)
    assert manifest_delay(backoff, failures) == pytest.approx(expected)
    assert RetryTiming(BackoffMode.MANIFEST).delay(strategy, failures, 0.0) == pytest.approx(expected)
    assert RetryTiming().delay(strategy, failures, 0.0) == pytest.approx(min(expected, LOCAL_MAX_DELAY_S))


def test_max_duration_and_missing_backoff() -> None:
    strategy = RetryStrategy("2", "Always", Backoff(15.0, 2.0, max_duration_s=600.0))
    assert RetryTiming(BackoffMode.MANIFEST).delay(strategy, 1, elapsed_s=590.0) is None
    assert RetryTiming().delay(strategy, 1, elapsed_s=590.0) == LOCAL_MAX_DELAY_S
    assert RetryTiming().delay(strategy, 1, elapsed_s=600.0) is None  # maxDuration still stops retries
    assert RetryTiming(BackoffMode.MANIFEST).delay(RetryStrategy("2"), 1, 0.0) == 0.0
    assert RetryTiming().delay(None, 1, 0.0) == 0.0


def test_policies_and_refused_input() -> None:
    assert policy_retries(RetryStrategy("1", "Always"), "Failed")
    assert not policy_retries(RetryStrategy("1", "OnError"), "Failed")
    assert not policy_retries(None, "Failed")
    local, manifest = RetryTiming(), RetryTiming(BackoffMode.MANIFEST)
    assert local.refused_input("Failed", 2)
    assert not local.refused_input("Failed", 1) and not local.refused_input("Error", 2)
    assert not manifest.refused_input("Failed", 2)
    assert BackoffMode("manifest") is BackoffMode.MANIFEST


def test_an_always_failing_task_with_the_manifests_backoff_fails_fast_with_every_attempt(run: Runner) -> None:
    strategy = committed_retry_strategy()
    assert strategy["backoff"]["duration"] == "15s"
    started = time.monotonic()
    result = run(always_fails(strategy))
    elapsed = time.monotonic() - started
    node = result.node("doomed")
    assert result.status == "Failed" and (node.attempts, node.exit_code) == (3, 1)
    assert elapsed < 5.0, f"a failing task took {elapsed:.1f}s to fail the run"
    log = Path(node.log_path).read_text()
    assert log.count("=== attempt") == 3 and log.splitlines().count("boom") == 3
    assert "retrying in 0.2s (local backoff; the manifest waits 15s" in log
    assert "the manifest waits 30s" in log


def test_manifest_backoff_waits_the_manifests_delays(run: Runner) -> None:
    strategy = {"limit": "2", "retryPolicy": "Always", "backoff": {"duration": "300ms", "factor": "2"}}
    started = time.monotonic()
    result = run(always_fails(strategy), backoff="manifest")
    elapsed = time.monotonic() - started
    log = Path(result.node("doomed").log_path).read_text()
    assert result.node("doomed").attempts == 3
    assert "retrying in 0.3s\n" in log and "retrying in 0.6s\n" in log
    assert elapsed >= 0.9
    local = Path(run(always_fails(strategy)).node("doomed").log_path).read_text()
    assert local.count("retrying in 0.2s (local backoff") == 2


def test_bad_input_exit_2_is_not_retried_locally_but_is_with_manifest_backoff(run: Runner) -> None:
    strategy = {"limit": "2", "retryPolicy": "Always"}
    refusing = [PY, "-c", "import sys; print('error: bad value'); sys.exit(2)"]
    local = run(always_fails(strategy, refusing)).node("doomed")
    assert (local.status, local.attempts, local.exit_code) == ("Failed", 1, 2)
    assert local.message == "exit code 2: bad input, not retried"
    assert "refused its input; not retried locally" in Path(local.log_path).read_text()
    exact = run(always_fails(strategy, refusing), backoff=BackoffMode.MANIFEST).node("doomed")
    assert (exact.status, exact.attempts, exact.exit_code) == ("Failed", 3, 2)
    other = run(workflow([task("flaky", "flaky")], [shell("flaky", "exit 3", retryStrategy=strategy)]))
    assert other.node("flaky").attempts == 3  # any other failure keeps the manifest's limit


def test_an_unknown_backoff_mode_is_refused(run: Runner) -> None:
    with pytest.raises(ValueError, match="'soon'"):
        run(always_fails({"limit": "1"}), backoff="soon")


def test_log_tail(tmp_path: Path) -> None:
    path = tmp_path / "node.log"
    assert log_tail(path) == [] and log_tail("") == []
    path.write_text("".join(f"line {n}\n" for n in range(100)) + "\n\n")
    assert log_tail(path, 3) == ["line 97", "line 98", "line 99"]
    assert len(log_tail(path)) == 15 and log_tail(path, 0) == []
    path.write_text("x" * 200_000 + "\n" + "".join(f"tail {n}\n" for n in range(20)))  # larger than what is read
    assert log_tail(path, 30) == [f"tail {n}" for n in range(20)]
