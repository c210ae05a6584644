"""Which IQR fence multiplier k suits cleaning: flagged points inside/outside NAB's labelled windows.

For each of the 30 NAB files, fences come from the whole file (the widest look-back sample); for each
k the script reports the share of points flagged, the share of flagged points inside a labelled
anomaly window (the windows hold about 10 % of all points, the chance level), the windows that
contain at least one flag, and how many files lose more than 10 % of their points.

Usage: python benchmarks/imputation/outlier_k.py [--nab ../shared/data/nab] [--k 1.5 3.0]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sparkhu.analysis.outliers import flag_outliers, iqr_fences

DEFAULT_NAB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nab"


def load(nab: Path) -> tuple[pd.DataFrame, dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]]:
    """All NAB files as one long frame (series_id = relative path) and their labelled windows."""
    labels = json.loads((nab / "labels" / "combined_windows.json").read_text())
    frames = []
    for name in sorted(labels):
        raw = pd.read_csv(nab / "data" / name)
        ts = pd.to_datetime(raw["timestamp"], utc=True).astype("datetime64[us, UTC]")
        frames.append(pd.DataFrame({"series_id": name, "ts": ts, "value": raw["value"].astype(float)}))
    windows = {name: [(pd.Timestamp(a, tz="UTC"), pd.Timestamp(b, tz="UTC")) for a, b in spans]
               for name, spans in labels.items()}
    return pd.concat(frames, ignore_index=True).astype({"series_id": "string"}), windows


def in_windows(frame: pd.DataFrame, windows: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]) -> np.ndarray:
    """Mask of the rows inside a labelled window of their file."""
    inside = np.zeros(len(frame), dtype=bool)
    for name, spans in windows.items():
        rows = (frame["series_id"] == name).to_numpy()
        for low, high in spans:
            inside |= rows & (frame["ts"] >= low).to_numpy() & (frame["ts"] <= high).to_numpy()
    return inside


def flags(frame: pd.DataFrame, k: float) -> np.ndarray:
    """The outlier mask with fences from the whole file."""
    return flag_outliers(frame, iqr_fences(frame, k))["is_outlier"].to_numpy()


def measure(frame: pd.DataFrame, inside: np.ndarray, windows: dict, k: float) -> dict[str, float]:
    flagged = flags(frame, k)
    per_file = pd.Series(flagged).groupby(frame["series_id"].to_numpy()).mean()
    hit = 0
    for name, spans in windows.items():
        rows = (frame["series_id"] == name).to_numpy()
        for low, high in spans:
            span = rows & (frame["ts"] >= low).to_numpy() & (frame["ts"] <= high).to_numpy()
            hit += bool((flagged & span).any())
    return {
        "k": k,
        "flagged_share": flagged.mean(),
        "flagged_inside_windows": (flagged & inside).sum() / max(flagged.sum(), 1),
        "windows_hit": hit,
        "windows": sum(len(spans) for spans in windows.values()),
        "files_over_10pct": int((per_file > 0.10).sum()),
        "median_file_share": float(per_file.median()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nab", type=Path, default=DEFAULT_NAB)
    parser.add_argument("--k", type=float, nargs="+", default=[1.5, 3.0])
    args = parser.parse_args()
    frame, windows = load(args.nab)
    inside = in_windows(frame, windows)
    print(f"{frame['series_id'].nunique()} files, {len(frame)} points, {inside.mean():.1%} inside windows")
    print("| k | flagged | median file flagged | flagged inside windows | windows with a flag | files > 10 % |")
    print("|---|---|---|---|---|---|")
    for k in args.k:
        row = measure(frame, inside, windows, k)
        print(f"| {k} | {row['flagged_share']:.1%} | {row['median_file_share']:.2%} | "
              f"{row['flagged_inside_windows']:.1%} | {row['windows_hit']}/{row['windows']} | "
              f"{row['files_over_10pct']} |")
    low, high = min(args.k), max(args.k)
    extra = flags(frame, low) & ~flags(frame, high)
    print(f"flags that k={low} adds to k={high}: {extra.sum()} points, "
          f"{(extra & inside).sum() / max(extra.sum(), 1):.1%} of them inside windows")


if __name__ == "__main__":
    main()
