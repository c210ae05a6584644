"""Shrink long series for plotting without losing what the eye would see.

A plot of a million points is drawn on about a thousand pixel columns: only each column's lowest and
highest value (in time order) are visible there. Keeping exactly those two points per column makes the
drawn line identical to the full one while the SVG stays small and fast to render in a browser.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Pixel columns a report plot is drawn on (its width at 96 dpi is about this many pixels).
PLOT_BUCKETS = 1200


def bucket_starts(x: FloatArray, buckets: int) -> IntArray:
    """Index of the first point of each non-empty equal-width bucket of the sorted positions ``x``.

    Args:
        x: Sorted, finite positions (e.g. matplotlib date numbers).
        buckets: Number of equal-width buckets spanning ``[x[0], x[-1]]``.

    Returns:
        Increasing start indices; bucket ``i`` spans ``starts[i]:starts[i + 1]``.
    """
    span = x[-1] - x[0]
    if span <= 0:
        return np.zeros(1, dtype=np.int64)
    ids = np.minimum(((x - x[0]) / span * buckets).astype(np.int64), buckets - 1)
    changes = np.flatnonzero(np.diff(ids)) + 1
    return np.concatenate(([0], changes)).astype(np.int64)


def _first_match(hits: BoolArray, bucket_of: IntArray, n_buckets: int) -> IntArray:
    """Per bucket, the index of its first ``True`` in ``hits`` (-1 where the bucket has none)."""
    found = np.full(n_buckets, -1, dtype=np.int64)
    where = np.flatnonzero(hits)
    buckets, first = np.unique(bucket_of[where], return_index=True)
    found[buckets] = where[first]
    return found


def minmax_downsample(x: FloatArray, y: FloatArray, buckets: int = PLOT_BUCKETS) -> tuple[FloatArray, FloatArray]:
    """Keep, per bucket, the points holding its minimum and maximum, in their original order.

    A bucket whose values are all NaN keeps one NaN point, so gaps in the data stay gaps in the line.

    Args:
        x: Sorted positions (same length as ``y``).
        y: Values; NaN marks a missing point.
        buckets: Pixel columns to fit.

    Returns:
        The kept ``(x, y)``; the input itself when it already has at most two points per bucket.
    """
    if len(x) <= 2 * buckets:
        return x, y
    starts = bucket_starts(x, buckets)
    bucket_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(x))))
    valid = ~np.isnan(y)
    lows = np.minimum.reduceat(np.where(valid, y, np.inf), starts)
    highs = np.maximum.reduceat(np.where(valid, y, -np.inf), starts)
    at_low = _first_match(valid & (y == lows[bucket_of]), bucket_of, len(starts))
    at_high = _first_match(valid & (y == highs[bucket_of]), bucket_of, len(starts))
    empty = at_low < 0
    keep = np.unique(np.concatenate((at_low[~empty], at_high[~empty], starts[empty])))
    return x[keep], y[keep]


def true_runs(mask: BoolArray) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) indices of each maximal run of ``True`` in ``mask``."""
    padded = np.concatenate(([False], mask.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)


def merge_spans(starts: FloatArray, ends: FloatArray, min_gap: float) -> tuple[FloatArray, FloatArray]:
    """Merge sorted spans separated by less than ``min_gap`` (less than a pixel apart on the plot)."""
    if len(starts) == 0:
        return starts, ends
    breaks = np.flatnonzero(starts[1:] - ends[:-1] >= min_gap) + 1
    first = np.concatenate(([0], breaks))
    last = np.concatenate((breaks - 1, [len(starts) - 1]))
    return starts[first], ends[last]


def thin_indices(count: int, limit: int) -> IntArray:
    """At most ``limit`` evenly spread indices out of ``range(count)`` (all of them when few)."""
    if count <= limit:
        return np.arange(count, dtype=np.int64)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))
