"""Acceptance on the NAB benchmark files: period = dominant step, unmarked missing = gap arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparkhu.analysis.decision import decide_period
from sparkhu.analysis.missing import mark_missing
from sparkhu.analysis.regularity import estimate_period, estimate_periods

NAB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nab" / "data"
FILES = sorted(NAB.glob("**/*.csv")) if NAB.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason="../shared/data/nab is absent")


def load(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    ts = pd.to_datetime(raw["timestamp"], utc=True).astype("datetime64[us, UTC]")
    return pd.DataFrame({"series_id": path.stem, "ts": ts, "value": raw["value"].astype(float)})


def seconds_of(frame: pd.DataFrame) -> np.ndarray:
    return (frame["ts"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def dominant_step(seconds: np.ndarray) -> float:
    """The most common positive difference between consecutive timestamps (ties: the smaller)."""
    steps, counts = np.unique(np.diff(seconds), return_counts=True)
    counts[steps <= 0] = 0
    return float(steps[np.argmax(counts)])


def expected_unmarked(seconds: np.ndarray, period: float) -> int:
    """Sum over consecutive gaps of at least 1.5 periods of round(gap / period) - 1."""
    return sum(round(gap / period) - 1 for gap in np.diff(seconds) if gap >= 1.5 * period)


def unmarked(frame: pd.DataFrame) -> int:
    return int((frame["missing_kind"] == "unmarked").sum())


@pytest.fixture(scope="module", params=FILES, ids=[path.stem for path in FILES])
def nab(request: pytest.FixtureRequest) -> pd.DataFrame:
    return load(request.param)


def test_period_is_the_dominant_step(nab: pd.DataFrame) -> None:
    seconds = seconds_of(nab)
    estimate = estimate_period(seconds)
    assert estimate.status == "ok"
    assert estimate.period_seconds == dominant_step(seconds)


def test_unmarked_missing_matches_the_gap_arithmetic(nab: pd.DataFrame) -> None:
    seconds = seconds_of(nab)
    period = estimate_period(seconds).period_seconds
    out = mark_missing(
        nab, {nab["series_id"][0]: period}, start=nab["ts"].min(), end=nab["ts"].max() + pd.Timedelta(1, "s")
    )
    expected = expected_unmarked(seconds, dominant_step(seconds))
    assert abs(unmarked(out) - expected) <= 0.02 * expected
    # Inserted points never land on a real timestamp, however far the real ones drift.
    inserted = out.loc[out["missing_kind"] == "unmarked", "ts"]
    assert not inserted.isin(nab["ts"]).any() and not inserted.duplicated().any()


def test_daily_windows_decide_the_step_and_daily_intervals_add_up(nab: pd.DataFrame) -> None:
    seconds = seconds_of(nab)
    day = nab["ts"].dt.floor("D")
    # One estimate per day (the day is the "series" of estimate_periods), then one decision.
    estimates = estimate_periods(nab.assign(series_id=day.astype(str)))
    decision = decide_period(estimates, None)
    assert decision.decided_by == "data" and decision.period_seconds == dominant_step(seconds)

    sid = nab["series_id"][0]
    periods = {sid: decision.period_seconds}
    total = 0
    for start in pd.date_range(day.min(), day.max(), freq="D"):
        end = start + pd.Timedelta(days=1)
        before, after = nab["ts"][nab["ts"] < start], nab["ts"][nab["ts"] >= end]
        previous = {sid: before.max()} if len(before) else None
        following = {sid: after.min()} if len(after) else None
        inside = nab[(nab["ts"] >= start) & (nab["ts"] < end)]
        total += unmarked(
            mark_missing(inside, periods, start=start, end=end, previous=previous, following=following)
        )
    assert total == expected_unmarked(seconds, decision.period_seconds)
