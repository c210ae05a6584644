"""Every step on many series at once: known answers at scale, and a generous time budget."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from sparkhu.analysis import (
    decide_periods,
    deduplicate,
    describe,
    estimate_periods,
    mark_missing,
    validate_points,
)

N_SERIES, N_POINTS = 200, 1000
BUDGET_SECONDS = 3.0  # per step for 200k rows; about 0.2 s each on a 2-core machine


def planted() -> tuple[pd.DataFrame, dict[str, float], int]:
    """Jittered series with periods 60/300/600 s, 5 % of points dropped, then 2 % re-sent."""
    rng = np.random.default_rng(11)
    ids = np.array([f"s{i:03d}" for i in range(N_SERIES)])
    period_of = rng.choice([60.0, 300.0, 600.0], N_SERIES)
    code = np.repeat(np.arange(N_SERIES), N_POINTS)
    step = np.tile(np.arange(N_POINTS), N_SERIES)
    # Keep first and last point of each series so that every drop lies inside a gap.
    dropped = (rng.random(len(code)) < 0.05) & (step > 0) & (step < N_POINTS - 1)
    seconds = step * period_of[code] + rng.uniform(-0.02, 0.02, len(code)) * period_of[code]
    frame = pd.DataFrame(
        {
            "series_id": pd.Series(ids[code], dtype="string"),
            "ts": pd.to_datetime(1.7e9 + seconds, unit="s", utc=True).astype("datetime64[us, UTC]"),
            "value": rng.normal(size=len(code)),
        }
    )[~dropped]
    frame = pd.concat([frame, frame.sample(frac=0.02, random_state=1)], ignore_index=True)
    return frame, dict(zip(ids, period_of, strict=True)), int(dropped.sum())


def timed(step):
    began = time.perf_counter()
    result = step()
    assert time.perf_counter() - began < BUDGET_SECONDS
    return result


def test_pipeline_steps_on_many_series() -> None:
    frame, true_periods, n_dropped = planted()
    start, end = pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2025-01-01", tz="UTC")

    valid = timed(lambda: validate_points(frame, start=start, end=end, now=end)).valid
    dedup = timed(lambda: deduplicate(valid))
    stats = timed(lambda: describe(dedup.frame))
    estimates = timed(lambda: estimate_periods(dedup.frame))
    decided = timed(lambda: decide_periods(estimates, {}))
    periods = dict(zip(decided["series_id"], decided["period_seconds"], strict=True))
    marked = timed(lambda: mark_missing(dedup.frame, periods, start=start, end=end))

    assert dedup.counts["exact_duplicates"] == len(frame) - len(dedup.frame)
    assert len(dedup.frame) == N_SERIES * N_POINTS - n_dropped
    assert stats["count"].sum() == len(dedup.frame)
    assert periods == true_periods
    assert (marked["missing_kind"] == "unmarked").sum() == n_dropped
