"""High-frequency benchmark: ``sparkhu forecast`` on hundreds of short sensor series cut from ETDataset.

Usage: python benchmarks/highfreq/run.py [--ett ../shared/data/ett] [--out-dir DIR] [--weeks 3]
                                         [--families a,b] [--limit N] [--files ETTh1 ETTm1]
                                         [--trials N] [--budget-seconds S] [--timeout S]

Each of the 7 columns of each ETT file (ETTh* hourly, ETTm* every 15 minutes) is cut into non-overlapping
segments of ``--weeks`` weeks; each segment is one series whose last day (24 hourly / 96 quarter-hourly
steps, one season) is held out. Per file: the training parts as one long CSV, ``sparkhu forecast`` on it
with that horizon (timed), and MAE / sMAPE / MASE (lag = the daily season) / 80 % coverage / MSIS against
the seasonal naive forecast (the last observed day repeated) computed here.

ETDataset is CC BY-ND 4.0: the segments are generated at run time under ``--out-dir`` (git-ignored by
default) and must not be committed or redistributed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.m4.data import Forecasts, align_forecasts
from benchmarks.m4.run import (
    Options,
    add_options,
    forecast_command,
    machine_line,
    measure,
    options_from,
    report_skipped,
)
from benchmarks.m4.scorer import Scores, score, seasonal_naive

FloatArray = npt.NDArray[np.float64]
T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ETT = REPO.parent / "shared" / "data" / "ett"
DEFAULT_OUT = Path(__file__).resolve().parent / "work"  # git-ignored (benchmarks/**/work/)
KNOWN_FILES = ("ETTh1", "ETTh2", "ETTm1", "ETTm2")
COLUMNS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")
LEVEL = 80.0
DASH = "-"

console = Console(stderr=True, highlight=False)


@dataclass(frozen=True)
class Segments:
    """One ETT file cut into series: training values, held-out values and the held-out timestamps."""

    name: str
    step: pd.Timedelta
    season: int  # steps per day: the seasonal lag of MASE and of the seasonal naive forecast
    train: dict[str, FloatArray]
    test: dict[str, FloatArray]
    train_stamps: dict[str, pd.DatetimeIndex]
    test_stamps: dict[str, pd.DatetimeIndex]

    @property
    def horizon(self) -> int:
        """Held-out steps per series (one season)."""
        return self.season


@dataclass(frozen=True)
class Result:
    """One method's scores on one file's segments."""

    data: str
    method: str
    scores: Scores
    points_per_series: int
    horizon: int
    season: int
    seconds: str


def season_of(step: pd.Timedelta) -> int:
    """Steps per day for a sampling step that divides a day.

    Raises:
        ValueError: If the step does not divide 24 hours.

    """
    day = pd.Timedelta(days=1)
    if step <= pd.Timedelta(0) or day % step != pd.Timedelta(0):
        raise ValueError(f"step {step} does not divide a day")
    return int(day // step)


def cut(frame: pd.DataFrame, name: str, weeks: int, columns: Sequence[str] = COLUMNS,
        limit: int | None = None) -> Segments:
    """Cut every column of one ETT frame into non-overlapping segments of ``weeks`` weeks.

    Args:
        frame: The file's rows (``date`` plus the value columns), in time order.
        name: The file's name without extension (prefix of every series id).
        weeks: Segment length in weeks; the trailing remainder of the file is dropped.
        columns: The columns to cut.
        limit: Keep at most this many series (segment-major order, so all columns of the first segments).

    Returns:
        The segments, each split into training part and its last day held out.

    Raises:
        ValueError: If the file is not sampled on a regular step or a segment would be shorter than 2 days.

    """
    stamps = pd.DatetimeIndex(pd.to_datetime(frame["date"]))
    steps = np.unique(np.diff(stamps.asi8))
    if len(steps) != 1:
        raise ValueError(f"{name}: irregular timestamps ({len(steps)} distinct steps)")
    step = pd.Timedelta(int(steps[0]), "ns")
    season = season_of(step)
    length = int(pd.Timedelta(weeks=weeks) // step)
    if length < 2 * season:
        raise ValueError(f"{name}: {weeks} weeks hold fewer than two days")
    train: dict[str, FloatArray] = {}
    test: dict[str, FloatArray] = {}
    train_stamps: dict[str, pd.DatetimeIndex] = {}
    test_stamps: dict[str, pd.DatetimeIndex] = {}
    for segment in range(len(frame) // length):
        rows = slice(segment * length, (segment + 1) * length)
        for column in columns:
            key = f"{name}-{column}-{segment:02d}"
            values = frame[column].to_numpy(dtype=np.float64)[rows]
            train[key], test[key] = values[:-season], values[-season:]
            train_stamps[key], test_stamps[key] = stamps[rows][:-season], stamps[rows][-season:]
            if limit is not None and len(train) >= limit:
                return Segments(name, step, season, train, test, train_stamps, test_stamps)
    return Segments(name, step, season, train, test, train_stamps, test_stamps)


def write_training(segments: Segments, path: Path) -> int:
    """The training parts as one long CSV ``series_id, ts, value`` (ISO timestamps, UTC); rows written."""
    parts = [pd.DataFrame({"series_id": key, "ts": segments.train_stamps[key].strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "value": values}) for key, values in segments.train.items()]
    frame = pd.concat(parts, ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return len(frame)


def seasonal_naive_scores(segments: Segments) -> Scores:
    """The last observed day repeated, scored with the season as MASE lag (no intervals)."""
    forecast = {key: seasonal_naive(x, segments.horizon, segments.season) for key, x in segments.train.items()}
    return score(segments.train, segments.test, forecast, m=segments.season)


def sparkhu_scores(segments: Segments, forecasts: Forecasts) -> Scores | None:
    """``sparkhu forecast``'s scores on its completely forecast series (``None`` when there are none)."""
    keys = forecasts.complete
    if not keys:
        return None
    bounded = all(not (np.isnan(forecasts.lower[k]).any() or np.isnan(forecasts.upper[k]).any()) for k in keys)
    return score(segments.train, segments.test, forecasts.point, forecasts.lower if bounded else None,
                 forecasts.upper if bounded else None, m=segments.season, level=LEVEL, keys=keys)


def run_file(segments: Segments, out_dir: Path, options: Options, timeout_s: float | None) -> list[Result]:
    """Write one file's segments, forecast them with ``sparkhu forecast`` and score it and seasonal naive."""
    work = out_dir / segments.name
    shutil.rmtree(work, ignore_errors=True)
    csv = work / "train-long.csv"
    rows = write_training(segments, csv)
    per_series = len(next(iter(segments.train.values()))) + segments.horizon
    console.print(f"{segments.name}: {len(segments.train)} series x {per_series} points "
                  f"({rows:,} training rows), horizon {segments.horizon}")
    forecast_csv = work / "forecasts.csv"
    argv = forecast_command([csv], forecast_csv, work / "home", segments.horizon, options)
    console.print(f"[bold]$ {' '.join(argv)}[/bold]")
    measured = measure(argv, work / "sparkhu-forecast.log", timeout_s)
    console.print(f"sparkhu forecast: exit {measured.returncode}, {measured.seconds:.1f} s, "
                  f"peak {measured.peak_mib:.0f} MiB")
    naive = Result(segments.name, "seasonal naive (last day)", seasonal_naive_scores(segments), per_series,
                   segments.horizon, segments.season, DASH)
    if not forecast_csv.is_file():
        console.print(f"[red]sparkhu forecast wrote no CSV[/red] (exit {measured.returncode}):\n{measured.tail}",
                      markup=True)
        return [naive]
    report_skipped(forecast_csv, measured.returncode)
    forecasts = align_forecasts(pd.read_csv(forecast_csv), segments.test_stamps)
    if forecasts.missing:
        console.print(f"[yellow]{len(forecasts.missing)} series lack a complete forecast, e.g. "
                      f"{forecasts.missing[:3]}[/yellow]", markup=True)
    label = options.label()
    result = sparkhu_scores(segments, forecasts)
    if result is None:
        return [naive]
    # Seasonal naive on the same series as sparkhu, so a skipped series cannot flatter either side.
    same = seasonal_naive_scores(_only(segments, forecasts.complete))
    naive = Result(segments.name, "seasonal naive (last day)", same, per_series, segments.horizon,
                   segments.season, DASH)
    return [Result(segments.name, label, result, per_series, segments.horizon, segments.season,
                   f"{measured.seconds:.1f}"), naive]


def _only(segments: Segments, keys: Sequence[str]) -> Segments:
    """The segments restricted to ``keys``."""
    def pick(mapping: dict[str, T]) -> dict[str, T]:
        return {key: mapping[key] for key in keys}

    return Segments(segments.name, segments.step, segments.season, pick(segments.train), pick(segments.test),
                    pick(segments.train_stamps), pick(segments.test_stamps))


def _cell(value: float | None, digits: int = 3, percent: bool = False) -> str:
    if value is None or np.isnan(value):
        return DASH
    return f"{100 * value:.1f} %" if percent else f"{value:.{digits}f}"


def table(results: Sequence[Result]) -> str:
    """The results as a Markdown table, with MASE relative to seasonal naive on the same file."""
    naive_mase = {r.data: r.scores.mase for r in results if r.method.startswith("seasonal naive")}
    lines = ["| data | method | series | points/series | horizon | MASE lag | MAE | sMAPE | MASE | MASE / s-naive | "
             "coverage 80 % | MSIS 80 % | seconds |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        relative = r.scores.mase / naive_mase[r.data] if r.data in naive_mase else None
        lines.append(f"| {r.data} | {r.method} | {r.scores.series} | {r.points_per_series} | {r.horizon} | "
                     f"{r.season} | {_cell(r.scores.mae)} | {_cell(r.scores.smape)} | {_cell(r.scores.mase)} | "
                     f"{_cell(relative)} | {_cell(r.scores.coverage, percent=True)} | {_cell(r.scores.msis, 2)} | "
                     f"{r.seconds} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ett", type=Path, default=DEFAULT_ETT, help="folder with ETTh1.csv, ETTm1.csv, ...")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="generated segments, forecasts, results.md")
    parser.add_argument("--weeks", type=int, default=3, help="segment length in weeks (the last day is held out)")
    add_options(parser)
    parser.add_argument("--limit", type=int, default=None, help="at most N series per file (a quick subset)")
    parser.add_argument("--files", nargs="+", default=list(KNOWN_FILES), choices=KNOWN_FILES,
                        help="ETT files to use when present (default: all four)")
    parser.add_argument("--timeout", type=float, default=None, help="kill sparkhu forecast after this many seconds")
    args = parser.parse_args(argv)
    present = [name for name in args.files if (args.ett / f"{name}.csv").is_file()]
    if not present:
        console.print(f"no ETT files ({', '.join(args.files)}) found in {args.ett}: skipped.")
        return 0
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    started, load_before = dt.datetime.now(dt.UTC), os.getloadavg()
    results: list[Result] = []
    for name in present:
        segments = cut(pd.read_csv(args.ett / f"{name}.csv"), name, args.weeks, limit=args.limit)
        results += run_file(segments, out_dir, options_from(args), args.timeout)
    absent = sorted(set(args.files) - set(present))
    text = (f"ETT segments of {args.weeks} weeks, last day held out; files {', '.join(present)}"
            f"{' (absent: ' + ', '.join(absent) + ')' if absent else ''}; "
            f"{machine_line(started, load_before, os.getloadavg())}\n\n{table(results)}\n")
    (out_dir / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
