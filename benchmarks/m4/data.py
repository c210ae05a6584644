"""Reading the M4 Weekly files and converting between them and the long format of ``sparkhu forecast``.

The organisers' files are wide and ragged (``V1`` = id, then the values padded with empty cells) and carry
no dates. Every series gets synthetic weekly timestamps whose training part ends on the same Monday
(:data:`LAST_TRAINING_MONDAY`), so the test weeks of all series are the same 13 Mondays after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

LAST_TRAINING_MONDAY = pd.Timestamp("2024-01-01")  # a Monday; any fixed Monday works
WEEK = pd.Timedelta(weeks=1)
TRAIN_FILE = "Weekly-train.csv"
TEST_FILE = "Weekly-test.csv"


@dataclass(frozen=True)
class Weekly:
    """The Weekly set: series id to training values and to the 13 test values, in file order."""

    train: dict[str, FloatArray]
    test: dict[str, FloatArray]

    def subset(self, limit: int | None) -> Weekly:
        """The first ``limit`` series in file order (all when ``None``)."""
        keys = list(self.train)[:limit] if limit is not None else list(self.train)
        return Weekly({key: self.train[key] for key in keys}, {key: self.test[key] for key in keys})


@dataclass(frozen=True)
class Forecasts:
    """Forecasts read back, aligned with the test values (NaN where a step was not forecast)."""

    point: dict[str, FloatArray]
    lower: dict[str, FloatArray]
    upper: dict[str, FloatArray]
    missing: list[str]  # series with at least one test step lacking a point forecast

    @property
    def complete(self) -> list[str]:
        """Series forecast at every test step."""
        return [key for key in self.point if key not in set(self.missing)]


def read_wide(path: Path) -> dict[str, FloatArray]:
    """One ragged wide M4 file as series id to its values (the padding cells dropped).

    Raises:
        ValueError: If a series has an empty cell before its last value (a gap, not padding).

    """
    frame = pd.read_csv(path, index_col=0, dtype={"V1": str})
    out: dict[str, FloatArray] = {}
    for key, row in frame.iterrows():
        values = row.to_numpy(dtype=np.float64)
        present = np.flatnonzero(~np.isnan(values))
        length = int(present[-1]) + 1 if len(present) else 0
        if len(present) != length:
            raise ValueError(f"{path.name}: series {key} has empty cells inside its values")
        out[str(key)] = values[:length]
    return out


def load_weekly(m4_dir: Path) -> Weekly:
    """The Weekly training and test files of ``m4_dir``.

    Raises:
        ValueError: If the two files do not hold the same series.

    """
    train, test = read_wide(m4_dir / TRAIN_FILE), read_wide(m4_dir / TEST_FILE)
    if list(train) != list(test):
        raise ValueError("Weekly-train.csv and Weekly-test.csv hold different series")
    return Weekly(train, test)


def training_stamps(length: int, last: pd.Timestamp = LAST_TRAINING_MONDAY) -> pd.DatetimeIndex:
    """``length`` weekly timestamps ending at ``last``."""
    return pd.date_range(end=last, periods=length, freq=WEEK)


def horizon_stamps(horizon: int, last: pd.Timestamp = LAST_TRAINING_MONDAY) -> pd.DatetimeIndex:
    """The ``horizon`` weekly timestamps after ``last``."""
    return pd.date_range(start=last + WEEK, periods=horizon, freq=WEEK)


def to_long(series: dict[str, FloatArray], last: pd.Timestamp = LAST_TRAINING_MONDAY) -> pd.DataFrame:
    """Training values as a long frame ``series_id, ts, value`` (each series ending at ``last``)."""
    parts = [pd.DataFrame({"series_id": key, "ts": training_stamps(len(values), last), "value": values})
             for key, values in series.items()]
    return pd.concat(parts, ignore_index=True)


def write_long(series: dict[str, FloatArray], path: Path, last: pd.Timestamp = LAST_TRAINING_MONDAY) -> int:
    """Write the long CSV of :func:`to_long`; the number of rows written."""
    frame = to_long(series, last)
    # ISO dates: the weekly stamps are midnights, so the time part carries nothing.
    frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%d")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return len(frame)


def _naive_utc(values: pd.Series) -> pd.Series:
    """Timestamps as naive UTC, whether the CSV wrote them with an offset or without."""
    stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    return stamps.dt.tz_localize(None).astype("datetime64[ns]")


def align_forecasts(frame: pd.DataFrame, expected: dict[str, pd.DatetimeIndex]) -> Forecasts:
    """Forecast rows ``series_id, ts, value[, lo, hi]`` placed on each series' expected test timestamps.

    Rows at other timestamps or for unknown series are ignored; an expected step without a row stays NaN
    and marks its series as missing, so a shifted or short forecast is visible instead of being scored
    against the wrong weeks.

    Args:
        frame: The forecast CSV's rows.
        expected: Series id to the timestamps of its test values (naive UTC).

    Returns:
        The aligned point forecasts and bounds.

    """
    work = frame.assign(series_id=frame["series_id"].astype(str), ts=_naive_utc(frame["ts"]))
    work = work.drop_duplicates(["series_id", "ts"], keep="last").set_index(["series_id", "ts"])
    point: dict[str, FloatArray] = {}
    lower: dict[str, FloatArray] = {}
    upper: dict[str, FloatArray] = {}
    missing: list[str] = []
    for key, stamps in expected.items():
        index = pd.MultiIndex.from_arrays([[key] * len(stamps), stamps.astype("datetime64[ns]")])
        rows = work.reindex(index)
        point[key] = rows["value"].to_numpy(dtype=np.float64)
        lower[key] = rows["lo"].to_numpy(dtype=np.float64) if "lo" in rows else np.full(len(stamps), np.nan)
        upper[key] = rows["hi"].to_numpy(dtype=np.float64) if "hi" in rows else np.full(len(stamps), np.nan)
        if np.isnan(point[key]).any():
            missing.append(key)
    return Forecasts(point, lower, upper, missing)


def read_forecasts(path: Path, test: dict[str, FloatArray],
                   last: pd.Timestamp = LAST_TRAINING_MONDAY) -> Forecasts:
    """A ``sparkhu forecast`` CSV aligned with the Weekly test values."""
    expected = {key: horizon_stamps(len(values), last) for key, values in test.items()}
    return align_forecasts(pd.read_csv(path), expected)
