"""Sliding windows on the regular grid: T input steps, then the N output steps that follow them.

A window starting at row ``s`` of a series (its rows sorted by time, one row per grid step) has inputs
``s .. s+T-1`` and outputs ``s+T .. s+T+N-1``: the inputs strictly precede the outputs (the seed built
them the other way round). Its ``ts`` is the timestamp of the first output step, so that a window is
keyed by the moment its forecast starts. Windows start at rows 0, stride, 2·stride, ... of each
series and never cross into another series.

A point is missing when its value is NaN (imputed points are ordinary values here). The lists are
built from one gathered numpy buffer and handed to Arrow as list arrays over it, with no Python list
per row.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from sparkhu.analysis._columns import FloatArray, Int64Array, series_rows, to_epoch_us, utc_timestamps
from sparkhu.analysis._grid import Grid, sorted_grid
from sparkhu.frame import SERIES, TS

MissingPolicy = Literal["drop", "mark"]
WINDOW_COLUMNS = (SERIES, TS, "input_length", "output_length", "inputs", "outputs", "has_missing", "method")
#: Window values are float32: seven significant digits of a scaled value are far below any sensor's
#: noise, it is what model training consumes, and the feature store (T + N copies of every point, the
#: largest table) halves in size and write time.
_LIST_TYPE = pa.list_(pa.float32())


def make_windows(
    frame: pd.DataFrame,
    input_length: int,
    output_length: int,
    stride: int = 1,
    missing: MissingPolicy = "drop",
    since: object | None = None,
) -> pd.DataFrame:
    """All sliding windows of every series.

    Args:
        frame: Long frame on the regular grid (series_id, ts, value[, method]); consecutive rows of a
            series in ts order are consecutive grid steps.
        input_length: T, the number of input steps (>= 1).
        output_length: N, the number of output steps (>= 1).
        stride: Rows between the starts of consecutive windows (>= 1).
        missing: ``"drop"`` windows with a NaN anywhere, or ``"mark"`` them with ``has_missing``.
        since: Only windows whose first output step is at or after this instant (earlier rows are only
            inputs); None: all.

    Returns:
        Columns :data:`WINDOW_COLUMNS`: ts = first output step, input_length and output_length
        (int32), inputs and outputs (Arrow ``list<float>`` columns, float32), has_missing, method (the
        frame's ``method`` of the series when it has that column, else null); sorted by series_id, ts.

    Raises:
        ValueError: On lengths or stride below 1 or an unknown missing policy.

    """
    if min(input_length, output_length, stride) < 1:
        raise ValueError("input_length, output_length and stride must all be at least 1")
    if missing not in ("drop", "mark"):
        raise ValueError(f"missing must be 'drop' or 'mark', got {missing!r}")
    grid = sorted_grid(frame)
    first = _window_starts(grid, input_length + output_length, stride)
    if since is not None:
        first = first[grid.micros[first + input_length] >= to_epoch_us(since)]
    has_missing = _contains_nan(grid.values, first, input_length + output_length)
    if missing == "drop":
        first, has_missing = first[~has_missing], has_missing[~has_missing]
    owner = grid.codes[first]
    return pd.DataFrame(
        {
            SERIES: series_rows(grid.ids, owner),
            TS: pd.Series(utc_timestamps(grid.micros[first + input_length])),
            "input_length": pd.Series(np.full(len(first), input_length), dtype="int32"),
            "output_length": pd.Series(np.full(len(first), output_length), dtype="int32"),
            "inputs": _list_column(grid.values, first, input_length),
            "outputs": _list_column(grid.values, first + input_length, output_length),
            "has_missing": pd.Series(has_missing, dtype="bool"),
            "method": pd.Series(_series_methods(frame, grid)[owner], dtype="string"),
        }
    )


def _window_starts(grid: Grid, width: int, stride: int) -> Int64Array:
    """First row of every window that fits inside its series, in series then time order."""
    counts = np.where(grid.sizes >= width, (grid.sizes - width) // stride + 1, 0)
    owner = np.repeat(np.arange(len(grid.ids)), counts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.asarray(grid.starts[owner] + rank * stride, dtype=np.int64)


def _contains_nan(values: FloatArray, first: Int64Array, width: int) -> np.ndarray:
    """Whether rows ``first .. first + width - 1`` hold a NaN, per window (prefix sums, no gather)."""
    cumulative = np.concatenate(([0], np.cumsum(np.isnan(values))))
    return np.asarray(cumulative[first + width] - cumulative[first] > 0, dtype=bool)


def _list_column(values: FloatArray, first: Int64Array, length: int) -> pd.Series:
    """A ``list<float>`` (float32) column of ``values[first + i]`` for i < length, over one flat buffer."""
    # Rows of a strided view: one contiguous copy, no (windows x length) index array.
    flat = (np.lib.stride_tricks.sliding_window_view(values.astype(np.float32), length)[first].ravel()
            if len(first) else np.zeros(0, dtype=np.float32))
    if len(flat) > np.iinfo(np.int32).max:
        raise ValueError("the windows hold more than 2**31 values; build them in smaller series batches")
    offsets = pa.array(np.arange(len(first) + 1, dtype=np.int32) * np.int32(length), type=pa.int32())
    lists = pa.ListArray.from_arrays(offsets, pa.array(flat, type=pa.float32()), type=_LIST_TYPE)
    return pd.Series(pd.arrays.ArrowExtensionArray(lists))


def _series_methods(frame: pd.DataFrame, grid: Grid) -> np.ndarray:
    """The ``method`` of every series (its first row's), or nulls when the frame has no such column."""
    if "method" not in frame.columns or not len(grid.codes):
        return np.full(len(grid.ids), None, dtype=object)
    methods = frame["method"].to_numpy(dtype=object)[grid.order]
    found = np.full(len(grid.ids), None, dtype=object)
    present = grid.sizes > 0
    found[present] = methods[grid.starts[present]]
    return found
