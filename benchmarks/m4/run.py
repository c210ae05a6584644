"""M4 Weekly benchmark: ``sparkhu forecast`` with its defaults on the 359 Weekly series of the M4 competition.

Usage: python benchmarks/m4/run.py [--m4 ../shared/data/m4] [--out-dir DIR] [--families a,b] [--limit N]
                                   [--trials N] [--budget-seconds S] [--timeout S]
                                   [--reference statsforecast] [--forecasts CSV]

1. the training parts as one long CSV ``series_id, ts, value`` (weekly stamps, all ending on one Monday),
2. ``sparkhu forecast`` on it with horizon 13 and an 80 % interval, in a fresh ``--home`` (wall seconds and
   the peak RSS of its process tree),
3. sMAPE, MASE, OWA (against Naive2 computed here on the same series), 80 % coverage and MSIS,
4. a Markdown table with reference rows: Naive2 computed here, the organisers' published rows, the
   statsforecast figures quoted from the issue, and (``--reference statsforecast``) AutoETS / AutoTheta
   run here.

``--forecasts CSV`` scores an existing forecast file instead of running the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.cli import sparkhu_cli
from benchmarks.m4.data import (
    Forecasts,
    Weekly,
    align_forecasts,
    horizon_stamps,
    load_weekly,
    read_forecasts,
    to_long,
    write_long,
)
from benchmarks.m4.scorer import (
    PUBLISHED_WEEKLY,
    WEEKLY_HORIZON,
    WEEKLY_SEASONAL_LAG,
    Scores,
    coverage,
    mase,
    naive2,
    naive2_scores,
    score,
    smape,
)
from benchmarks.memory import PeakSampler

REPO = Path(__file__).resolve().parents[2]
DEFAULT_M4 = REPO.parent / "shared" / "data" / "m4"
DEFAULT_OUT = Path(__file__).resolve().parent / "work"  # git-ignored (benchmarks/**/work/)
LEVEL = 80.0
# The published rows shown next to the measured ones (the README's full table is in benchmarks/m4/README.md).
SHOWN_PUBLISHED = ("Darin (best Weekly)", "Theta (benchmark)", "SES (benchmark)", "Naive / Naive2 / seasonal naive")
# statsforecast, 359 Weekly series, season 52, as measured by the issue's author (not re-measured here).
QUOTED_FROM_ISSUE = (("AutoETS (season 52)", 0.907, "≈ 720"), ("AutoTheta (season 52)", 0.884, "≈ 360"),
                     ("mean of AutoETS and AutoTheta", 0.836, "≈ 1080 (both)"))

DASH = "-"  # empty table cell

console = Console(stderr=True, highlight=False)


@dataclass(frozen=True)
class Measured:
    """Wall time, peak RSS of the whole process tree, exit status and the output's last lines."""

    seconds: float
    peak_mib: float
    returncode: int
    tail: str


@dataclass(frozen=True)
class Row:
    """One row of the results table (``None`` cells print as a dash)."""

    method: str
    series: int | None
    smape: float | None
    mase: float | None
    owa: float | None
    coverage: float | None
    msis: float | None
    seconds: str
    source: str


def measure(argv: Sequence[str], log: Path, timeout_s: float | None = None) -> Measured:
    """Run ``argv``, streaming its output to ``log`` and the console, sampling the tree's RSS every 0.2 s.

    Args:
        argv: The command.
        log: File that receives the command's stdout and stderr.
        timeout_s: Kill the command's process tree after this many seconds (``None``: wait).

    Returns:
        The measurement; a killed command has return code -9 and its tail says so.

    """
    # SPARKHU_* variables of the caller's shell must not change the command's defaults; --home isolates state.
    env = {key: value for key, value in os.environ.items() if not key.startswith("SPARKHU_")}
    clock = time.perf_counter()
    lines: list[str] = []
    with log.open("w") as sink:
        process = subprocess.Popen(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with PeakSampler(process.pid, every_s=0.2, timeout_s=timeout_s) as sampler:
            assert process.stdout is not None  # Popen was given stdout=PIPE
            for line in process.stdout:
                sink.write(line)
                lines.append(line.rstrip("\n"))
                console.print(f"[dim]  | {line.rstrip()}[/dim]", markup=True, soft_wrap=True)
            returncode = process.wait()
    if sampler.timed_out:
        lines.append(f"[benchmark] killed after {timeout_s:.0f} s")
    return Measured(time.perf_counter() - clock, sampler.peak_mib, returncode, "\n".join(lines[-40:]))


@dataclass(frozen=True)
class Options:
    """Optional ``sparkhu forecast`` settings; ``None`` leaves the command's own default."""

    families: str | None = None
    trials: int | None = None
    budget_seconds: float | None = None

    def argv(self) -> list[str]:
        """The options as command-line arguments (only those that are set)."""
        out: list[str] = []
        if self.families:
            out += ["--families", self.families]
        if self.trials is not None:
            out += ["--trials", str(self.trials)]
        if self.budget_seconds is not None:
            out += ["--budget-seconds", f"{self.budget_seconds:g}"]
        return out

    def label(self) -> str:
        """``sparkhu forecast (defaults)`` or the options that differ from the defaults."""
        return f"sparkhu forecast ({' '.join(self.argv()) or 'defaults'})"


def add_options(parser: argparse.ArgumentParser) -> None:
    """The ``--families``, ``--trials`` and ``--budget-seconds`` pass-through arguments."""
    parser.add_argument("--families", default=None, help="sparkhu forecast --families (default: its own)")
    parser.add_argument("--trials", type=int, default=None, help="sparkhu forecast --trials (default: its own)")
    parser.add_argument("--budget-seconds", type=float, default=None,
                        help="sparkhu forecast --budget-seconds (default: its own)")


def options_from(args: argparse.Namespace) -> Options:
    """The pass-through options parsed by :func:`add_options`."""
    return Options(args.families, args.trials, args.budget_seconds)


def forecast_command(files: Sequence[Path], out: Path, home: Path, horizon: int, options: Options = Options(),
                     level: float = LEVEL, series_column: str | None = "series_id") -> list[str]:
    """The ``sparkhu forecast`` argv of the contract (time and value columns ``ts`` and ``value``)."""
    argv = [sparkhu_cli(), "forecast", *map(str, files)]
    if series_column is not None:
        argv += ["--series-column", series_column]
    argv += ["--time-column", "ts", "--value-column", "value", "--horizon", str(horizon),
             "--level", f"{level:g}", "--out", str(out), "--home", str(home)]
    return argv + options.argv()


def run_sparkhu(csv: Path, out_dir: Path, horizon: int, options: Options,
                timeout_s: float | None) -> tuple[Path, Measured]:
    """Run ``sparkhu forecast`` on ``csv`` in a fresh home under ``out_dir``; the forecast path and timing."""
    home = out_dir / "home"
    shutil.rmtree(home, ignore_errors=True)
    forecasts = out_dir / "forecasts.csv"
    forecasts.unlink(missing_ok=True)
    argv = forecast_command([csv], forecasts, home, horizon, options)
    console.print(f"[bold]$ {' '.join(argv)}[/bold]")
    return forecasts, measure(argv, out_dir / "sparkhu-forecast.log", timeout_s)


def report_skipped(forecast_csv: Path, returncode: int) -> int:
    """Print how many series ``sparkhu forecast`` skipped (its ``OUT.skipped.csv``) and why; the count."""
    skipped = forecast_csv.with_name(f"{forecast_csv.stem}.skipped.csv")
    if returncode == 0 and not skipped.is_file():
        return 0
    reasons = pd.read_csv(skipped) if skipped.is_file() else pd.DataFrame()
    console.print(f"[yellow]sparkhu forecast exited {returncode}; {len(reasons)} series skipped "
                  f"({skipped if skipped.is_file() else 'no skipped file'})[/yellow]", markup=True)
    if len(reasons):
        console.print(reasons.head(10).to_string(index=False))
    return len(reasons)


def per_series(weekly: Weekly, forecasts: Forecasts) -> pd.DataFrame:
    """sMAPE, MASE and coverage of every completely forecast series, and Naive2's sMAPE and MASE beside them."""
    records = []
    for key in forecasts.complete:
        x, y, f = weekly.train[key], weekly.test[key], forecasts.point[key]
        naive_f = naive2(x, len(y))
        has_bounds = not (np.isnan(forecasts.lower[key]).any() or np.isnan(forecasts.upper[key]).any())
        records.append({
            "series_id": key, "n_train": len(x), "smape": smape(y, f), "mase": mase(y, f, x),
            "coverage": coverage(y, forecasts.lower[key], forecasts.upper[key]) if has_bounds else np.nan,
            "smape_naive2": smape(y, naive_f), "mase_naive2": mase(y, naive_f, x),
        })
    return pd.DataFrame.from_records(records)


def scores_row(method: str, scores: Scores, naive: Scores, seconds: str, source: str) -> Row:
    """A measured row, its OWA relative to ``naive`` (Naive2 on the same series)."""
    return Row(method, scores.series, scores.smape, scores.mase, scores.owa(naive.smape, naive.mase),
               scores.coverage, scores.msis, seconds, source)


def score_forecasts(weekly: Weekly, forecasts: Forecasts) -> tuple[Scores, Scores]:
    """Scores of the complete series' forecasts and of Naive2 on exactly those series."""
    keys = forecasts.complete
    with_bounds = all(not np.isnan(forecasts.lower[k]).any() and not np.isnan(forecasts.upper[k]).any() for k in keys)
    result = score(weekly.train, weekly.test, forecasts.point,
                   forecasts.lower if with_bounds else None, forecasts.upper if with_bounds else None,
                   m=WEEKLY_SEASONAL_LAG, level=LEVEL, keys=keys)
    return result, naive2_scores(weekly.train, weekly.test, keys)


def statsforecast_reference(weekly: Weekly) -> list[tuple[str, Forecasts, float]]:
    """AutoETS and AutoTheta (season 52) run directly with statsforecast, and their mean; (name, forecasts, s).

    One model at a time with ``n_jobs=1``, so each wall time is that model's alone on one core.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    frame = to_long(weekly.train).rename(columns={"series_id": "unique_id", "ts": "ds", "value": "y"})
    results: list[tuple[str, Forecasts, float]] = []
    for name, model in (("AutoETS", AutoETS(season_length=52)), ("AutoTheta", AutoTheta(season_length=52))):
        console.print(f"statsforecast {name} on {len(weekly.train)} series …")
        clock = time.perf_counter()
        out = StatsForecast(models=[model], freq="W-MON", n_jobs=1).forecast(df=frame, h=WEEKLY_HORIZON, level=[80])
        seconds = time.perf_counter() - clock
        renamed = out.rename(columns={"unique_id": "series_id", "ds": "ts", name: "value",
                                      f"{name}-lo-80": "lo", f"{name}-hi-80": "hi"})
        results.append((f"statsforecast {name} (season 52)", _aligned(renamed, weekly), seconds))
    (_, ets, ets_s), (_, theta, theta_s) = results
    # The combination averages points and, as a simple approximation, the interval bounds.
    mean = Forecasts({k: (ets.point[k] + theta.point[k]) / 2 for k in ets.point},
                     {k: (ets.lower[k] + theta.lower[k]) / 2 for k in ets.lower},
                     {k: (ets.upper[k] + theta.upper[k]) / 2 for k in ets.upper},
                     sorted(set(ets.missing) | set(theta.missing)))
    results.append(("statsforecast mean of AutoETS and AutoTheta", mean, ets_s + theta_s))
    return results


def _aligned(frame: pd.DataFrame, weekly: Weekly) -> Forecasts:
    """statsforecast output (already renamed to the forecast CSV's columns) aligned like a sparkhu CSV."""
    frame = frame.assign(ts=pd.to_datetime(frame["ts"]).dt.strftime("%Y-%m-%d"))
    return align_forecasts(frame, {key: horizon_stamps(len(v)) for key, v in weekly.test.items()})


def _cell(value: float | None, digits: int = 3, percent: bool = False) -> str:
    if value is None or np.isnan(value):
        return DASH
    return f"{100 * value:.1f} %" if percent else f"{value:.{digits}f}"


def table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table."""
    lines = ["| method | series | sMAPE | MASE | OWA | coverage 80 % | MSIS 80 % | seconds | source |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        series = DASH if row.series is None else str(row.series)
        lines.append(f"| {row.method} | {series} | {_cell(row.smape)} | {_cell(row.mase)} | {_cell(row.owa)} | "
                     f"{_cell(row.coverage, percent=True)} | {_cell(row.msis, 2)} | {row.seconds} | {row.source} |")
    return "\n".join(lines)


def reference_rows(naive: Scores, all_series: bool) -> list[Row]:
    """Naive2 computed here, the organisers' published rows and the figures quoted from the issue."""
    rows = [scores_row("Naive2 (computed here)", naive, naive, DASH, "this benchmark")]
    scope = "" if all_series else " (all 359 series, not this subset)"
    for item in PUBLISHED_WEEKLY:
        if item.method in SHOWN_PUBLISHED:
            rows.append(Row(item.method, 359, item.smape, item.mase, item.owa, None, None, DASH,
                            f"published (M4 organisers){scope}"))
    for method, owa_value, seconds in QUOTED_FROM_ISSUE:
        rows.append(Row(f"statsforecast {method}", 359, None, None, owa_value, None, None, seconds,
                        f"quoted from the issue{scope}"))
    return rows


def machine_line(started: dt.datetime, load_before: tuple[float, float, float],
                 load_after: tuple[float, float, float]) -> str:
    """Start time, CPU count and the 1/5/15-minute load averages before and after the run."""
    def fmt(load: tuple[float, float, float]) -> str:
        return ", ".join(f"{value:.2f}" for value in load)

    stamp = started.astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (f"{stamp}; {os.cpu_count()} CPUs; load average (1, 5, 15 min) before {fmt(load_before)}, "
            f"after {fmt(load_after)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--m4", type=Path, default=DEFAULT_M4, help="folder with Weekly-train.csv and Weekly-test.csv")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="data, forecasts, log and results.md")
    add_options(parser)
    parser.add_argument("--limit", type=int, default=None, help="only the first N series (a quick subset)")
    parser.add_argument("--reference", choices=["statsforecast"], default=None,
                        help="also run AutoETS/AutoTheta (season 52) with statsforecast here (~25 min)")
    parser.add_argument("--forecasts", type=Path, default=None, help="score this forecast CSV instead of running")
    parser.add_argument("--timeout", type=float, default=None, help="kill sparkhu forecast after this many seconds")
    args = parser.parse_args(argv)
    if not (args.m4 / "Weekly-train.csv").is_file():
        console.print(f"M4 data not found at {args.m4} (needs Weekly-train.csv and Weekly-test.csv): skipped.")
        return 0
    weekly = load_weekly(args.m4).subset(args.limit)
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    started, load_before = dt.datetime.now(dt.UTC), os.getloadavg()
    rows: list[Row] = []
    naive: Scores | None = None
    if args.forecasts is None:
        csv = out_dir / "weekly-train-long.csv"
        points = write_long(weekly.train, csv)
        console.print(f"wrote {csv} ({len(weekly.train)} series, {points:,} rows)")
        forecast_csv, measured = run_sparkhu(csv, out_dir, WEEKLY_HORIZON, options_from(args), args.timeout)
        console.print(f"sparkhu forecast: exit {measured.returncode}, {measured.seconds:.1f} s, "
                      f"peak {measured.peak_mib:.0f} MiB")
        # Exit 2 with a CSV means some series were skipped (OUT.skipped.csv says why): score the others.
        if not forecast_csv.is_file():
            console.print(f"[red]sparkhu forecast failed[/red] (exit {measured.returncode}):\n{measured.tail}",
                          markup=True)
            return 1
        report_skipped(forecast_csv, measured.returncode)
        seconds = f"{measured.seconds:.1f}"
    else:
        forecast_csv, seconds = args.forecasts, DASH
    forecasts = read_forecasts(forecast_csv, weekly.test)
    if forecasts.missing:
        console.print(f"[yellow]{len(forecasts.missing)} of {len(weekly.test)} series lack forecasts at some test "
                      f"week, e.g. {forecasts.missing[:5]}; they are not scored[/yellow]", markup=True)
    measured_scores, naive = score_forecasts(weekly, forecasts)
    per_series(weekly, forecasts).to_csv(out_dir / "per-series.csv", index=False)
    label = options_from(args).label()
    if args.forecasts is not None:
        label = f"forecasts from {args.forecasts.name}"
    rows.append(scores_row(label, measured_scores, naive, seconds, "this benchmark"))
    if args.reference == "statsforecast":
        for name, reference, ref_seconds in statsforecast_reference(weekly):
            ref_scores, ref_naive = score_forecasts(weekly, reference)
            rows.append(scores_row(name, ref_scores, ref_naive, f"{ref_seconds:.1f}", "this benchmark"))
    rows += reference_rows(naive, all_series=len(weekly.test) == 359)
    machine = machine_line(started, load_before, os.getloadavg())
    text = (f"M4 Weekly, horizon {WEEKLY_HORIZON}, {len(weekly.test)} series "
            f"({len(forecasts.missing)} without a complete forecast); {machine}"
            f"\n\n{table(rows)}\n")
    (out_dir / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
