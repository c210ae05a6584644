"""When a failed attempt is retried, and how long the executor waits before the next one.

The manifests are written for a cluster: every task retries twice with ``backoff: {duration: 15s,
factor: 2}``, which gives a rescheduled pod, a node under pressure or a slow image pull time to recover.
None of that exists on one machine, and honouring those delays makes a failing task take ~45 s to fail a
local run. :class:`RetryTiming` therefore has two modes:

* ``local`` (the default): the manifest's retry *limit* and *policy* are kept, so a flaky local failure
  (a busy SQLite file, a warm worker that died) is still retried, but each delay is capped at
  :data:`LOCAL_MAX_DELAY_S`. An attempt that exits with :data:`BAD_INPUT_EXIT_CODE` is not retried:
  that code means the command refused its input, and rerunning the same argv on the same data gives
  the same refusal.
* ``manifest``: the delays and policy are honoured exactly as Argo would, bad input included.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sparkhu.executor.spec import Backoff, RetryStrategy

LOCAL_MAX_DELAY_S = 0.2
BAD_INPUT_EXIT_CODE = 2  # `sparkhu` (TaskInputError, usage errors), click/typer and argparse: refused input

# Which attempt phases each retry policy retries ("Error": the command could not run or finish cleanly).
RETRIED_PHASES: dict[str, frozenset[str]] = {
    "Always": frozenset({"Failed", "Error"}),
    "OnFailure": frozenset({"Failed"}),
    "OnError": frozenset({"Error"}),
    "OnTransientError": frozenset({"Error"}),
}


def policy_retries(strategy: RetryStrategy | None, phase: str) -> bool:
    """Whether the strategy's ``retryPolicy`` retries an attempt that ended in ``phase`` (None: never)."""
    return strategy is not None and phase in RETRIED_PHASES[strategy.policy]


class BackoffMode(StrEnum):
    """How closely local runs follow the manifests' retry backoff."""

    LOCAL = "local"
    MANIFEST = "manifest"


@dataclass(frozen=True)
class RetryTiming:
    """The retry-timing policy of one run.

    Attributes:
        mode: ``local`` caps delays and skips retrying refused input; ``manifest`` honours the manifest.
        local_max_delay_s: Longest wait between attempts in ``local`` mode.

    """

    mode: BackoffMode = BackoffMode.LOCAL
    local_max_delay_s: float = LOCAL_MAX_DELAY_S

    def refused_input(self, phase: str, exit_code: int | None) -> bool:
        """Whether, in ``local`` mode, an attempt is not retried because its command refused its input.

        Args:
            phase: The attempt's phase.
            exit_code: The attempt's exit code, when its process ran.

        Returns:
            True for a ``Failed`` attempt with :data:`BAD_INPUT_EXIT_CODE` in ``local`` mode.

        """
        return self.mode is BackoffMode.LOCAL and phase == "Failed" and exit_code == BAD_INPUT_EXIT_CODE

    def delay(self, strategy: RetryStrategy | None, failures: int, elapsed_s: float) -> float | None:
        """Seconds to wait before the next attempt, or None when ``maxDuration`` is used up.

        Args:
            strategy: The node's retry strategy (no backoff: retry at once).
            failures: Attempts that failed so far (1 before the first retry).
            elapsed_s: Seconds since the first attempt started.

        Returns:
            The manifest's delay, capped at ``local_max_delay_s`` in ``local`` mode. ``maxDuration`` is
            checked against that delay, so it stops retries no sooner than it would in a cluster.

        """
        backoff = strategy.backoff if strategy else None
        if backoff is None:
            return 0.0
        wait = manifest_delay(backoff, failures)
        if self.mode is BackoffMode.LOCAL:
            wait = min(wait, self.local_max_delay_s)
        if backoff.max_duration_s is not None and elapsed_s + wait > backoff.max_duration_s:
            return None
        return wait


def manifest_delay(backoff: Backoff, failures: int) -> float:
    """The wait Argo applies before retry number ``failures``: ``duration * factor**(failures-1)``, capped."""
    wait = backoff.duration_s * backoff.factor ** (failures - 1)
    return wait if backoff.cap_s is None else min(wait, backoff.cap_s)
