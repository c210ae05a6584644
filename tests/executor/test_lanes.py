"""Worker lanes: a shard's next node goes to the worker that ran its last one, unless that worker is busy."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from sparkhu.executor.lanes import Lanes, affinity_key


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@pytest.fixture
def lanes() -> Iterator[Lanes]:
    made = Lanes(2, lambda: ProcessPoolExecutor(max_workers=1))
    yield made
    for pool in made.pools:
        pool.shutdown(wait=True)


@pytest.mark.parametrize(("args", "key"), [
    (["run-task", "dedup", "--shard", "2/4"], "2/4"),
    (["run-task", "dedup", "--shard=0/4", "--start", "x"], "0/4"),
    (["run-task", "dedup", "--shard"], None),
    (["run-task", "describe"], None),
])
def test_the_affinity_key_is_the_shard_option(args: list[str], key: str | None) -> None:
    assert affinity_key(args) == key


def test_a_shard_returns_to_its_worker_and_never_waits_for_it(lanes: Lanes) -> None:
    first = lanes.submit("0/2", pid_after, 0.8)
    second = lanes.submit("1/2", pid_after, 0.0)  # lane 0 is busy: the idle lane takes it
    worker_of = {"0/2": first.result(), "1/2": second.result()}
    assert worker_of["0/2"] != worker_of["1/2"]
    # Both lanes idle now: each shard goes back to its own worker, whatever the submission order.
    for shard in ("1/2", "0/2", "1/2"):
        assert lanes.submit(shard, pid_after, 0.0).result() == worker_of[shard]
    # Its worker busy, a shard's node runs on the other one rather than queue.
    busy = lanes.submit("0/2", pid_after, 0.8)
    assert lanes.submit("0/2", pid_after, 0.0).result() == worker_of["1/2"]
    assert busy.result() == worker_of["0/2"]


def test_calls_without_a_key_take_the_least_busy_lane(lanes: Lanes) -> None:
    assert lanes.choose(None) == 0
    lanes._busy[0] = 1
    assert lanes.choose(None) == 1 and lanes.choose("unknown") == 1
