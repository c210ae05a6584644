"""What the benchmarks share to measure a command: the peak resident size of its whole process tree."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import psutil


def tree_rss(root: psutil.Process) -> int:
    """Bytes resident in ``root`` and all its descendants now (0 when the tree is gone)."""
    try:
        tree = [root, *root.children(recursive=True)]
        return sum(process.memory_info().rss for process in tree if process.is_running())
    except psutil.Error:
        return 0


def kill_tree(pid: int) -> None:
    """Kill the process ``pid`` and its descendants (only a tree the benchmark started)."""
    try:
        root = psutil.Process(pid)
        for process in [*root.children(recursive=True), root]:
            process.kill()
    except psutil.Error:
        pass


class PeakSampler:
    """Samples a process tree's resident size in a thread while the ``with`` block runs.

    Args:
        pid: Root of the tree.
        every_s: Seconds between samples.
        timeout_s: Kill the tree once it has run this long (None: never); ``timed_out`` tells.
    """

    def __init__(self, pid: int, every_s: float, timeout_s: float | None = None) -> None:
        self.pid, self.every_s, self.timeout_s = pid, every_s, timeout_s
        self.peak = 0
        self.timed_out = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._started = time.perf_counter()

    @property
    def peak_mib(self) -> float:
        """The largest sample, in MiB."""
        return self.peak / 2**20

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        root = psutil.Process(self.pid)
        while not self._done.is_set():
            self.peak = max(self.peak, tree_rss(root))
            if self.timeout_s is not None and time.perf_counter() - self._started > self.timeout_s:
                self.timed_out = True
                kill_tree(self.pid)
                return
            time.sleep(self.every_s)
