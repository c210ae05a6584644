"""Exponential backoff for calls that may fail transiently (API throttling, restarts, network blips)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        attempts: Total tries, the first included.
        base_delay: Delay before the second try, in seconds; it doubles after each failure.
        max_delay: Upper bound of one delay.
        jitter: Fraction of random spread added to each delay, so replicas do not retry in lockstep.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.2

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1-based)."""
        raw = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
        return raw * (1 + self.jitter * random.random())


def call_with_retries(
    call: Callable[[], T],
    retryable: Callable[[BaseException], bool],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "call",
) -> T:
    """Run ``call``, retrying with backoff while it raises an error ``retryable`` accepts.

    Args:
        call: The operation; it must be safe to repeat.
        retryable: Decides whether an error is transient.
        policy: Attempts and delays.
        sleep: Waits between attempts (replaced in tests).
        what: Name of the operation for the log.

    Returns:
        The result of the first successful attempt.

    Raises:
        Exception: The last error, once the attempts are used up or at once when it is not retryable.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as error:
            if attempt == policy.attempts or not retryable(error):
                raise
            delay = policy.delay(attempt)
            log.warning(
                "retrying %s after error",
                what,
                extra={"fields": {"attempt": attempt, "delay_s": round(delay, 3), "error": str(error)}},
            )
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
