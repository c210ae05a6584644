"""The daily chain written plainly with pandas + statsmodels, one series at a time (the speed baseline).

Per series, in this order and nothing more: sort by timestamp, drop duplicate timestamps, reindex to the
regular grid of the series' most common step, IQR flags (``k = 3.0``, Sparkhu's default, so that both
chains clean the same points; flagged values become NaN), ``interpolate(method="time")``, statsmodels STL
with the daily period in samples (``86400 / step``, default settings, ``robust=False``), 3-sigma residual
flags (``|r - mean(r)| > 3 std(r)``), min-max scaling, sliding windows of T = 60 inputs and N = 20 outputs.
Each series' windows and flags are written as Parquet, so that the baseline does I/O comparable to the
feature store writes of Sparkhu. It is written the way a data scientist would write it: readable pandas,
no tuning, no parallelism, and no deliberate slowness either.

Usage:
    python benchmarks/chain/baseline.py csv FILE.csv --out-dir DIR [--series-column series]
    python benchmarks/chain/baseline.py nab NAB_DIR --out-dir DIR   (DIR/<category>/<file>.csv flags)
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from statsmodels.tsa.seasonal import STL

DAY = pd.Timedelta(days=1)
IQR_K = 3.0
SIGMAS = 3.0
INPUT_LENGTH = 60
OUTPUT_LENGTH = 20


@dataclass
class ChainResult:
    """One series after the chain: the grid frame with every intermediate column, and its windows."""

    grid: pd.DataFrame
    window_ts: pd.DatetimeIndex
    inputs: npt.NDArray[np.float64]
    outputs: npt.NDArray[np.float64]


def most_common_step(ts: pd.Series) -> pd.Timedelta:
    """The most frequent gap between consecutive timestamps, rounded to the second (jitter is sub-second)."""
    return pd.Timedelta(ts.diff().dropna().dt.round("1s").mode().iloc[0])


def to_grid(frame: pd.DataFrame) -> tuple[pd.Series, pd.Timedelta]:
    """Sort, drop duplicate timestamps and reindex the values onto the regular grid of the series.

    The grid starts at the first timestamp; each point goes to its nearest grid slot (timestamps jitter
    around the grid, so an exact reindex would find nothing) and the first point of a slot wins.
    """
    frame = frame.sort_values("ts").drop_duplicates("ts")
    step = most_common_step(frame["ts"])
    start = frame["ts"].iloc[0]
    slots = start + ((frame["ts"] - start) / step).round() * step
    values = pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(slots))
    values = values[~values.index.duplicated()]
    grid = pd.date_range(start, values.index[-1], freq=step)
    return values.reindex(grid), step


def iqr_outliers(values: pd.Series, k: float = IQR_K) -> pd.Series:
    """True where a value lies outside ``[Q1 - k IQR, Q3 + k IQR]``."""
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    iqr = q3 - q1
    return (values < q1 - k * iqr) | (values > q3 + k * iqr)


def daily_period(step: pd.Timedelta, length: int) -> int:
    """Samples per day, limited so that STL still sees two full cycles."""
    return int(max(2, min(round(DAY / step), length // 2)))


def chain(frame: pd.DataFrame) -> ChainResult:
    """Run the whole plain chain on one series (columns ``ts``, ``value``)."""
    values, step = to_grid(frame)
    grid = pd.DataFrame({"value": values, "is_missing": values.isna()})
    grid["is_outlier"] = iqr_outliers(values)
    cleaned = values.mask(grid["is_outlier"])
    grid["filled"] = cleaned.interpolate(method="time", limit_direction="both")
    stl = STL(grid["filled"], period=daily_period(step, len(grid))).fit()
    grid["trend"], grid["seasonal"], grid["resid"] = stl.trend, stl.seasonal, stl.resid
    grid["is_anomaly"] = (grid["resid"] - grid["resid"].mean()).abs() > SIGMAS * grid["resid"].std()
    low, high = grid["filled"].min(), grid["filled"].max()
    grid["scaled"] = (grid["filled"] - low) / (high - low) if high > low else 0.0
    windows = np.lib.stride_tricks.sliding_window_view(grid["scaled"].to_numpy(), INPUT_LENGTH + OUTPUT_LENGTH)
    window_ts = grid.index[INPUT_LENGTH:INPUT_LENGTH + len(windows)]
    return ChainResult(grid, window_ts, windows[:, :INPUT_LENGTH], windows[:, INPUT_LENGTH:])


def write_series(result: ChainResult, series_id: str, out_dir: Path) -> None:
    """Write the series' windows and flags as Parquet files under ``out_dir``."""
    windows = pd.DataFrame({
        "series_id": series_id, "ts": result.window_ts, "input_length": INPUT_LENGTH,
        "output_length": OUTPUT_LENGTH, "inputs": list(result.inputs), "outputs": list(result.outputs),
    })
    windows.to_parquet(out_dir / "windows" / f"{series_id}.parquet", index=False)
    flags = result.grid.rename_axis("ts").reset_index().assign(series_id=series_id)
    flags.to_parquet(out_dir / "flags" / f"{series_id}.parquet", index=False)


def read_long_csv(path: Path, series_column: str) -> pd.DataFrame:
    """The long CSV as ``series_id, ts (UTC), value``."""
    raw = pd.read_csv(path)
    return pd.DataFrame({
        "series_id": raw[series_column].astype(str),
        "ts": pd.to_datetime(raw["timestamp"], utc=True, format="ISO8601"),
        "value": raw["value"].astype(float),
    })


def run_csv(path: Path, out_dir: Path, series_column: str) -> int:
    """Run the chain over every series of a long CSV; returns the number of windows written."""
    for folder in ("windows", "flags"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    frame = read_long_csv(path, series_column)
    written = 0
    for series_id, points in frame.groupby("series_id"):
        result = chain(points)
        write_series(result, str(series_id), out_dir)
        written += len(result.inputs)
    return written


def row_flags(rows: pd.DataFrame, result: ChainResult) -> npt.NDArray[np.bool_]:
    """``is_anomaly`` of each input row: the flag of the grid slot the row was placed in."""
    grid = result.grid.index
    step = grid[1] - grid[0]
    slots = np.clip(((rows["ts"] - grid[0]) / step).round().astype(int), 0, len(grid) - 1)
    return result.grid["is_anomaly"].to_numpy()[slots.to_numpy()]


def run_nab(nab: Path, out_dir: Path) -> int:
    """Flag every labelled NAB file; writes ``out_dir/<category>/<file>.csv`` (timestamp, is_anomaly)."""
    keys = sorted(json.loads((nab / "labels" / "combined_windows.json").read_text()))
    for key in keys:
        raw = pd.read_csv(nab / "data" / key)
        rows = pd.DataFrame({"ts": pd.to_datetime(raw["timestamp"]), "value": raw["value"].astype(float)})
        flags = row_flags(rows, chain(rows))
        target = out_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"timestamp": raw["timestamp"], "is_anomaly": flags}).to_csv(target, index=False)
    return len(keys)


def main() -> None:
    """Command line: ``csv FILE`` or ``nab DIR``, both with ``--out-dir``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["csv", "nab"])
    parser.add_argument("source", type=Path, help="Long CSV (csv) or the NAB folder (nab)")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--series-column", default="series")
    args = parser.parse_args()
    if args.mode == "csv":
        print(f"{run_csv(args.source, args.out_dir, args.series_column):,} windows written to {args.out_dir}")
    else:
        print(f"{run_nab(args.source, args.out_dir)} NAB files flagged into {args.out_dir}")


if __name__ == "__main__":
    main()
