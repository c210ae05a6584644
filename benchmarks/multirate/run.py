"""Multi-rate forecasting: a target kept every 4th row beside hourly covariates, with and without them.

ETTh1 (``../shared/data/ett``): ``OT`` kept only at rows ``i % 4 == 0`` **in memory** (the licence
forbids redistributing modified copies), the six loads hourly; the backtest protocol of the model issue
(test fraction 0.2, step 24 rows, 145 origins, horizon 24 rows), scoring the 6 kept OT points per origin
(870 points). Three runs of :func:`sparkhu.models.backtest.backtest`, the function behind
``sparkhu backtest``: sparse OT alone (``--covariates none``), sparse OT with the loads (``all``:
validation decides whether they are used), and hourly OT (all rows known) scored on the same 870 points;
then the demo's river pair (a half-hourly downstream gauge, its 5-minute upstream leader).

Usage: python benchmarks/multirate/run.py [--ett PATH] [--families seasonal_naive,ridge] [--skip-demo]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sparkhu.demo.generate import river
from sparkhu.models.backtest import BacktestResult, backtest
from sparkhu.models.candidates import default_candidates
from sparkhu.models.evaluation import actuals_at
from sparkhu.models.files import on_grid
from sparkhu.models.metrics import mae
from sparkhu.models.multirate import own_grid
from sparkhu.models.panel import Series, season_length

ETT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ett" / "ETTh1.csv"
LOADS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]


def series_of(frame: pd.DataFrame, time_column: str, target: str, covariates: list[str]) -> Series:
    """A wide frame's target (NaN where not kept) with covariates, on the file's grid."""
    stamps = pd.to_datetime(frame[time_column], utc=True)
    columns = {name: frame[name].to_numpy(dtype=np.float64) for name in [target, *covariates]}
    return on_grid(stamps, columns, target)


def run(series: Series, families: tuple[str, ...], horizon: int, step: int) -> tuple[BacktestResult, float]:
    """One backtest with the default candidates of the series' own grid; and its seconds."""
    own = own_grid(series)
    candidates = default_candidates(season_length(own.step_s, len(own)), bool(series.covariates), families)
    clock = time.perf_counter()
    result = backtest(series, candidates, horizon, 0.2, step)
    return result, time.perf_counter() - clock


def kept_mae(result: BacktestResult, truth: Series, kept: np.ndarray) -> tuple[float, int]:
    """The champion's MAE on the kept rows only, and how many points that is."""
    rows = result.origins[:, None] + np.arange(result.horizon)[None, :]
    actual = np.where(kept[rows], actuals_at(truth, result.origins, result.horizon), np.nan)
    return mae(actual, result.champion.forecasts), int(np.isfinite(actual).sum())


def ett_rows(path: Path, families: tuple[str, ...]) -> list[str]:
    """Sparse alone, sparse with loads, hourly on the kept points."""
    frame = pd.read_csv(path)
    kept = np.arange(len(frame)) % 4 == 0
    sparse = frame.assign(OT=frame["OT"].where(kept))
    hourly_series = series_of(frame, "date", "OT", [])
    rows = []
    for name, series in (("sparse OT alone", series_of(sparse, "date", "OT", [])),
                         ("sparse OT + loads", series_of(sparse, "date", "OT", LOADS)),
                         ("hourly OT", hourly_series)):
        result, seconds = run(series, families, 24, 24)
        score, points = kept_mae(result, hourly_series, kept)
        rows.append(f"| ETTh1 | {name} | {result.champion.name[:70]} | {score:.3f} | {points} | {seconds:.0f} |")
        print(rows[-1], flush=True)
    return rows


def demo_rows(families: tuple[str, ...]) -> list[str]:
    """The demo's river pair: downstream every 30 min, upstream every 5 min leading by 10 h."""
    upstream, downstream = river(pd.Timestamp("2026-01-01", tz="UTC"), 14, np.random.default_rng([7, 1]))
    wide = upstream.rename(columns={"value": "upstream"})[["timestamp", "upstream"]].merge(
        downstream.rename(columns={"value": "downstream"})[["timestamp", "downstream"]], on="timestamp", how="left")
    rows = []
    for name, covariates in (("downstream alone", []), ("downstream + upstream", ["upstream"])):
        result, seconds = run(series_of(wide, "timestamp", "downstream", covariates), families, 144, 36)
        best_alone = min(m.errors["MAE"] for m in result.models if not covariates) if not covariates else None
        rows.append(f"| demo river | {name} | {result.champion.name[:70]} | {result.champion.errors['MAE']:.4f} | "
                    f"{result.points} | {seconds:.0f} |"
                    + (f" best single model alone: {best_alone:.4f}" if best_alone is not None else ""))
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    """Run the benchmarks and print the results table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ett", type=Path, default=ETT)
    parser.add_argument("--families", default="seasonal_naive,ridge,lightgbm,auto_theta,auto_ets")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    families = tuple(args.families.split(","))
    print("| data | run | champion | MAE on kept points | points | seconds |\n|---|---|---|---:|---:|---:|")
    if not args.skip_demo:
        demo_rows(families)
    if args.ett.exists():
        ett_rows(args.ett, families)


if __name__ == "__main__":
    main()
