"""Imputation benchmark: ETTh1 with 10 % of every column removed in 1-24 hour gaps, MAE per variant and pooled.

The 7 hourly columns of ETTh1 are 7 series. From each, whole gaps of 1 to 24 hours (uniform lengths,
seeded) are removed at random places until 10 % of its points are gone; gaps never touch each other.
Every imputation variant fills them, and so does the pooled choice: pooling scores the variants on
its own hidden *known* points (``score_variants``) and never sees the removed truth. The table gives
the MAE on the removed points, per column and over all of them, with the targets: pooled MAE within
5 % of the best single variant in hindsight, and at least 30 % below LOCF.

Usage: python benchmarks/imputation/run.py [--ett ../shared/data/ett/ETTh1.csv] [--seed 0] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sparkhu.analysis._grid import sorted_grid
from sparkhu.analysis.imputation import VARIANTS, impute
from sparkhu.analysis.pool_missing import choose_variants, imputed_points, pool, score_variants

DEFAULT_ETT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ett" / "ETTh1.csv"
HOUR = 3600.0


def remove_gaps(values: np.ndarray, rng: np.random.Generator, share: float = 0.1, longest: int = 24) -> np.ndarray:
    """Mask of removed points: gaps of 1..longest points at random places, apart, until ``share`` is gone."""
    removed = np.zeros(len(values), dtype=bool)
    while removed.sum() < share * len(values):
        length = int(rng.integers(1, longest + 1))
        start = int(rng.integers(1, len(values) - length - 1))
        if not removed[start - 1 : start + length + 1].any():
            removed[start : start + length] = True
    return removed


def gappy_frame(path: Path, seed: int) -> pd.DataFrame:
    """ETTh1 as a long frame with the removed points NaN, flagged ``is_missing``, and the ``truth`` kept."""
    raw = pd.read_csv(path)
    ts = pd.to_datetime(raw["date"], utc=True).astype("datetime64[us, UTC]")
    rng = np.random.default_rng(seed)
    parts = []
    for column in raw.columns[1:]:
        truth = raw[column].to_numpy(dtype=np.float64)
        removed = remove_gaps(truth, rng)
        parts.append(pd.DataFrame({"series_id": column, "ts": ts, "value": np.where(removed, np.nan, truth),
                                   "is_missing": removed, "truth": truth}))
    return pd.concat(parts, ignore_index=True).astype({"series_id": "string"})


def errors(filled: pd.DataFrame) -> pd.Series:
    """MAE on the removed points per series, plus ``all`` over every removed point."""
    removed = filled[filled["is_missing"]]
    error = (removed["value"] - removed["truth"]).abs()
    per_series = error.groupby(removed["series_id"].astype(str)).mean()
    return pd.concat([per_series, pd.Series({"all": error.mean()})])


def evaluate(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """MAE table (rows: variants and ``pooled``), the pooled choice and the pooling time in seconds."""
    step = float(frame["ts"].drop_duplicates().sort_values().diff().median().total_seconds())  # ETTh1 1 h, ETTm1 15 min
    periods = dict.fromkeys(frame["series_id"].astype(str).unique(), step or HOUR)
    variants = {name: impute(frame, name, periods) for name in VARIANTS}
    table = {name: errors(filled) for name, filled in variants.items() if name != "leave"}
    started = time.perf_counter()
    # The pooled choice sees the gappy frame only (not ``truth``): drop it to make that plain.
    scores = score_variants(frame.drop(columns="truth"), VARIANTS, periods, seed)
    choice = choose_variants(scores)
    points = imputed_points(frame.drop(columns="truth"), VARIANTS, periods)
    pooled = pool(sorted_grid(frame).rows(frame), points, choice)
    elapsed = time.perf_counter() - started
    table["pooled"] = errors(pooled)
    return pd.DataFrame(table).T, choice, elapsed


def report(table: pd.DataFrame, choice: pd.DataFrame, elapsed: float, seed: int) -> str:
    """The results as markdown, with the two targets checked."""
    singles = table.drop(index="pooled")["all"]
    best, pooled, locf = singles.min(), table.loc["pooled", "all"], table.loc["locf", "all"]
    lines = [f"ETTh1, 7 columns, 10 % removed in 1-24 h gaps (seed {seed}); MAE on the removed points", "",
             "| variant | " + " | ".join(table.columns) + " |", "|---" * (len(table.columns) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(f"{value:.3f}" for value in row) + " |" for name, row in table.iterrows()]
    chosen = ", ".join(f"{s}: {m}" for s, m in zip(choice["series_id"], choice["chosen"], strict=True))
    lines += ["", f"pooled choice: {chosen} (scoring + choice + pool: {elapsed:.2f} s)",
              f"pooled vs best single ({singles.idxmin()}): {pooled / best - 1:+.1%} (target within +5 %): "
              f"{'met' if pooled <= 1.05 * best else 'MISSED'}",
              f"pooled vs LOCF: {pooled / locf - 1:+.1%} (target -30 % or lower): "
              f"{'met' if pooled <= 0.7 * locf else 'MISSED'}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ett", type=Path, default=DEFAULT_ETT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    table, choice, elapsed = evaluate(gappy_frame(args.ett, args.seed), args.seed)
    text = report(table, choice, elapsed, args.seed)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
