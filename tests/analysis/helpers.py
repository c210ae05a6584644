"""Builders of small long frames for the analysis tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2024-03-01", tz="UTC")


def at(seconds: float) -> pd.Timestamp:
    """The timestamp ``seconds`` after T0."""
    return T0 + pd.Timedelta(seconds, "s")


def long_frame(
    series: Sequence[str] | str,
    seconds: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    **extra,
) -> pd.DataFrame:
    """A long frame with ts = T0 + seconds (µs, UTC)."""
    n = len(seconds)
    ids = [series] * n if isinstance(series, str) else list(series)
    ts = pd.Series([at(s) for s in seconds]).astype("datetime64[us, UTC]")
    frame = pd.DataFrame(
        {"series_id": pd.Series(ids, dtype="string"), "ts": ts, "value": np.asarray(values, dtype=float)}
    )
    for name, column in extra.items():
        frame[name] = column
    return frame


def offsets(frame: pd.DataFrame) -> list[float]:
    """The frame's timestamps as seconds after T0."""
    return [(stamp - T0).total_seconds() for stamp in frame["ts"]]
