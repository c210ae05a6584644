"""Per-series segments of a long frame sorted by series and time, for algorithms that loop over series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sparkhu.analysis._columns import Int64Array, epoch_us, segment_starts, series_codes
from sparkhu.frame import SERIES, TS


@dataclass(frozen=True)
class Segments:
    """A frame sorted by series_id and ts, with the row range of every series.

    Attributes:
        frame: The input rows sorted by series_id then ts, index reset.
        ids: The series id of each segment.
        bounds: ``bounds[i]`` to ``bounds[i + 1]`` are the rows of segment ``i``.

    """

    frame: pd.DataFrame
    ids: list[str]
    bounds: Int64Array

    def ranges(self) -> list[tuple[str, int, int]]:
        """``(series_id, first_row, stop_row)`` of every segment."""
        return [(self.ids[i], int(self.bounds[i]), int(self.bounds[i + 1])) for i in range(len(self.ids))]


def split_series(frame: pd.DataFrame) -> Segments:
    """Sort ``frame`` by series and time and find each series' rows (null series ids are dropped)."""
    codes, uniques = series_codes(frame[SERIES].astype("string"))
    micros = epoch_us(frame[TS])
    keep = np.flatnonzero(codes >= 0)
    order = keep[np.lexsort((micros[keep], codes[keep]))]
    sorted_codes = codes[order]
    starts = np.flatnonzero(segment_starts([sorted_codes]))
    bounds = np.append(starts, len(order)).astype(np.int64)
    ids = [str(uniques[code]) for code in sorted_codes[starts]]
    return Segments(frame.iloc[order].reset_index(drop=True), ids, bounds)
