"""NAB anomaly-detection benchmark: Sparkhu's residual detector against the single-extreme-point rule.

Usage: python benchmarks/nab/run.py [--nab ../shared/data/nab] [--detect-dir DIR]

(a) ``residual``: a pure miniature of the chain with default parameters, the same for every file:
    decided period -> regular grid (detect-missing inserts the gaps) -> gaps filled linearly ->
    decompose -> detect_anomalies. Alarms on inserted grid points move to the nearest real row.
(b) ``max |x - median| / MAD``: flags each file's single most extreme raw value.
(c) with ``--detect-dir``: CSVs written by ``sparkhu detect`` (``timestamp``, ``is_anomaly``), one per NAB
    file, at ``DIR/<category>/<file>.csv``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.nab.scorer import Score, score
from sparkhu.analysis.anomalies import alarms_on_rows, detect_anomalies
from sparkhu.analysis.decompose import decompose, fill_linear
from sparkhu.analysis.missing import mark_missing
from sparkhu.analysis.regularity import estimate_period

DEFAULT_NAB = Path(__file__).resolve().parents[3] / "shared" / "data" / "nab"
Results = dict[str, tuple[pd.Series, np.ndarray]]


def load(path: Path, key: str) -> pd.DataFrame:
    """A NAB CSV as a long frame (naive timestamps read as UTC)."""
    raw = pd.read_csv(path)
    ts = pd.to_datetime(raw["timestamp"], utc=True).astype("datetime64[us, UTC]")
    return pd.DataFrame({"series_id": key, "ts": ts, "value": raw["value"].astype(float)})


def residual_flags(frame: pd.DataFrame) -> np.ndarray:
    """The miniature chain's ``is_anomaly`` on the file's own rows."""
    key = str(frame["series_id"].iloc[0])
    seconds = (frame["ts"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    period = estimate_period(seconds).period_seconds
    end = frame["ts"].max() + pd.Timedelta(1, "s")
    grid = mark_missing(frame, {key: period}, start=frame["ts"].min(), end=end)
    grid["value"] = fill_linear(grid["value"].to_numpy())
    detected = detect_anomalies(decompose(grid, {key: period}))
    return alarms_on_rows(frame["ts"], detected.loc[detected["is_anomaly"], "ts"])


def max_deviation_flags(frame: pd.DataFrame) -> np.ndarray:
    """Only the point with the largest ``|x - median| / MAD`` (ties: the first); none if all are equal."""
    values = frame["value"].to_numpy()
    deviation = np.abs(values - np.median(values))
    flags = np.zeros(len(values), dtype=bool)
    # Dividing by the MAD does not change the order; where the MAD is 0 the largest deviation still wins.
    if deviation.max() > 0:
        flags[np.argmax(deviation)] = True
    return flags


def run_detector(files: dict[str, pd.DataFrame], detector: Callable[[pd.DataFrame], np.ndarray]) -> Results:
    """Timestamps (naive, as the labels are) and flags per file."""
    return {key: (frame["ts"].dt.tz_localize(None), detector(frame)) for key, frame in files.items()}


def detect_outputs(directory: Path, keys: list[str]) -> Results:
    """Results read from ``sparkhu detect`` CSVs (absent files flag nothing)."""
    results: Results = {}
    for key in keys:
        path = directory / key
        if path.is_file():
            out = pd.read_csv(path)
            stamps = pd.to_datetime(out["timestamp"], utc=True).dt.tz_localize(None)
            results[key] = (stamps, out["is_anomaly"].astype(str).str.lower().isin(["true", "1"]).to_numpy())
    return results


def row(name: str, result: Score) -> str:
    """One markdown table row."""
    return (f"| {name} | {result.files} | {result.windows} | {result.detected} | {result.false_positives} | "
            f"{result.precision:.3f} | {result.recall:.3f} | {result.f1:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nab", type=Path, default=DEFAULT_NAB)
    parser.add_argument("--detect-dir", type=Path, default=None)
    parser.add_argument("--per-file", action="store_true", help="also print each file's score")
    args = parser.parse_args()
    labels = json.loads((args.nab / "labels" / "combined_windows.json").read_text())
    files = {key: load(args.nab / "data" / key, key) for key in sorted(labels)}
    detectors: dict[str, Results] = {
        "residual (sparkhu defaults)": run_detector(files, residual_flags),
        "max |x - median| / MAD": run_detector(files, max_deviation_flags),
    }
    if args.detect_dir is not None:
        detectors["sparkhu detect outputs"] = detect_outputs(args.detect_dir, sorted(labels))
    print("| detector | files | windows | detected | FP | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|")
    scores = {name: score(results, labels) for name, results in detectors.items()}
    for name, result in scores.items():
        print(row(name, result))
    if args.per_file:
        for name, result in scores.items():
            print(f"\n{name}")
            for key, item in result.per_file.items():
                print(f"  {key}: windows {item.windows} detected {item.detected} FP {item.false_positives}")


if __name__ == "__main__":
    main()
