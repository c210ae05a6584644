"""Worker lanes: one single-process pool per warm worker, and shard affinity between them.

A plain process pool hands each call to whichever worker is free, so consecutive steps of one shard
land on either worker. Each worker keeps the slices it has just written in memory
(:mod:`sparkhu.storage.recent`), and the next step of that shard reads exactly those. Sending a
shard's nodes to the worker that ran its previous node lets that read skip the lake. The affinity is
only a preference: a node never waits for its preferred worker while another one is idle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


def affinity_key(args: Sequence[str]) -> str | None:
    """What a call's data belongs to: the value of its ``--shard`` option (None without one)."""
    for position, arg in enumerate(args):
        if arg.startswith("--shard="):
            return arg.removeprefix("--shard=")
        if arg == "--shard" and position + 1 < len(args):
            return args[position + 1]
    return None


class Lanes:
    """``count`` single-process pools; calls with the same key prefer the lane that ran the last one."""

    def __init__(self, count: int, new_pool: Callable[[], ProcessPoolExecutor]) -> None:
        self.pools = [new_pool() for _ in range(max(1, count))]
        self._busy = [0] * len(self.pools)
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def submit(self, key: str | None, function: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``function(*args)`` on the chosen lane."""
        with self._lock:
            lane = self.choose(key)
            self._busy[lane] += 1
            if key is not None:
                self._last[key] = lane
        future = self.pools[lane].submit(function, *args)
        future.add_done_callback(lambda _: self._release(lane))
        return future

    def choose(self, key: str | None) -> int:
        """The key's last lane when idle, else the first idle lane, else the least busy one."""
        preferred = self._last.get(key) if key is not None else None
        if preferred is not None and self._busy[preferred] == 0:
            return preferred
        return min(range(len(self.pools)), key=lambda lane: (self._busy[lane], lane))

    def _release(self, lane: int) -> None:
        with self._lock:
            self._busy[lane] -= 1
