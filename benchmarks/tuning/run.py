"""Ray Tune benchmark: a 16-trial tuning run on ETTh1 OT, the way the ``tune`` task runs it.

Usage: python benchmarks/tuning/run.py [--ett ../shared/data/ett] [--trials 16] [--budget 600]

The training part (the first 80 % of ETTh1, so the backtest's test part stays unseen) is validated at
the tune task's default origins (30, one horizon of 24 h apart) for ``--trials`` candidates drawn by the
task's own budgeted random search over the default families (seasonal naive, ridge, LightGBM,
AutoTheta, AutoETS). Reports the wall seconds of the whole run (Ray start and shutdown included) and
of ``tuner.fit`` alone, trials completed, stopped early by ASHA, and the best validation score.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sparkhu.models.candidates import STANDARD_FAMILIES, default_candidates
from sparkhu.models.evaluation import ValidationPlan
from sparkhu.models.files import numeric, on_grid, parse_times, read_table
from sparkhu.models.panel import Series, season_length
from sparkhu.tasks.tune import budgeted
from sparkhu.tuning.ray_tune import tune_candidates

DEFAULT_ETT = Path(__file__).resolve().parents[3] / "shared" / "data" / "ett"
HORIZON = 24


def training_part(path: Path, fraction: float = 0.8) -> Series:
    """ETTh1's OT on its hourly grid, the first ``fraction`` of it."""
    frame = read_table(path)
    series = on_grid(parse_times(frame["date"], path, "date"), {"OT": numeric(frame["OT"], path, "OT")}, "OT")
    return series.head(int(len(series) * fraction))


def main() -> None:
    """Run the tuning and print a markdown results row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ett", type=Path, default=DEFAULT_ETT)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--budget", type=float, default=600.0, help="Tuning wall-clock budget (s).")
    args = parser.parse_args()
    path = args.ett / "ETTh1.csv"
    if not path.exists():
        sys.exit(f"skipped: {path} not found")
    series = training_part(path)
    season = season_length(series.step_s, len(series))
    candidates = budgeted(default_candidates(season, False, STANDARD_FAMILIES), args.trials, seed=0)
    plan = ValidationPlan.of([series], HORIZON, 30, HORIZON)
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory() as storage:
        trials = tune_candidates(candidates, [series], plan, storage=Path(storage), name="bench",
                                 budget_seconds=args.budget)
    seconds = time.perf_counter() - clock
    done = [t for t in trials if t.error is None]
    early = sum(t.chunks < 4 for t in done)
    print("| trials | completed | stopped early (ASHA) | best | best score | wall s (Ray start to shutdown) |")
    print("|---|---|---|---|---|---|")
    print(f"| {len(candidates)} | {len(done)} | {early} | {trials[0].candidate.family} | {trials[0].score:.4f} "
          f"| {seconds:.1f} |")


if __name__ == "__main__":
    main()
