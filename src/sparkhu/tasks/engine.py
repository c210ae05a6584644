"""Engines run per-series work. The local engine splits a frame by series over a process pool."""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sparkhu.frame import SERIES

SeriesFunction = Callable[..., pd.DataFrame]


class Engine(Protocol):
    """Runs a function that takes a multi-series frame on parts of it and concatenates the results."""

    def map_series(self, func: SeriesFunction, frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        """``func(part, **kwargs)`` over parts that never split a series; results concatenated."""
        ...


class LocalEngine:
    """Local engine: in-process for small frames, a pool of ``workers`` processes for large ones.

    Args:
        workers: Processes to use (the machine's cores by default).
        min_rows_parallel: Below this many rows the pool's start-up and the pickling of the parts cost
            more than they save. The analysis functions are vectorised over all series, so that is a
            lot of rows: measured on `deduplicate` with 1 M rows over 100 series, in-process 2.1 s
            against 5.7 s through a 2-process pool. Workflows get their parallelism from shards instead.
    """

    def __init__(self, workers: int, min_rows_parallel: int = 20_000_000) -> None:
        self.workers = max(1, workers)
        self.min_rows_parallel = min_rows_parallel

    def map_series(self, func: SeriesFunction, frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        """Apply ``func`` to series-aligned parts of ``frame`` (which must be sorted by series)."""
        if self.workers == 1 or len(frame) < self.min_rows_parallel:
            return func(frame, **kwargs)
        parts = split_by_series(frame, self.workers)
        # forkserver: the task process may hold Delta Lake I/O threads, which plain fork must not copy.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(len(parts), mp_context=context) as pool:
            results = list(pool.map(_call, [func] * len(parts), parts, [kwargs] * len(parts)))
        return pd.concat(results, ignore_index=True)


def _call(func: SeriesFunction, part: pd.DataFrame, kwargs: dict[str, Any]) -> pd.DataFrame:
    return func(part, **kwargs)


def split_by_series(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """Split a frame sorted by series into at most ``parts`` pieces of similar size, series kept whole."""
    codes = frame[SERIES].to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    targets = np.linspace(0, len(frame), parts + 1)[1:-1]
    cuts = np.unique(starts[np.clip(np.searchsorted(starts, targets), 0, len(starts) - 1)])
    bounds = [0, *[int(c) for c in cuts if 0 < c < len(frame)], len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(bounds) if b > a]
