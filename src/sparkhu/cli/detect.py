"""CLI command ``sparkhu detect``: the whole pipeline on one or a few files, one flagged row per input row.

It runs the very same commands a user would (``ingest``, ``run --workflow univariate``) in a one-shot
home (:mod:`sparkhu.cli.oneshot`), so the flags come from the same tasks and WorkflowTemplate as the
daily pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sparkhu.cli.errors import fail
from sparkhu.cli.oneshot import call, one_shot_home, series_ids
from sparkhu.config import get_settings

# pandas, the lake and the anomaly analysis (scipy) are imported where they are used: every `sparkhu`
# command loads this module, and only `detect` needs them.
if TYPE_CHECKING:
    import pandas as pd

    from sparkhu.storage.lake import Lake

console = Console(stderr=True)


def flags_per_row(lake: Lake, series_id: str) -> pd.DataFrame:
    """One row per ingested input row of ``series_id`` with the pipeline's flags, in input order."""
    from sparkhu.analysis.anomalies import alarms_on_rows
    from sparkhu.storage.lake import Slice

    where = Slice(series=(series_id,))
    raw = lake.read("raw", where).sort_values("line", kind="stable", ignore_index=True)
    scored = lake.read("anomalies", where).sort_values("ts", ignore_index=True)
    rows = raw[["ts", "value"]].merge(scored[["ts", "is_outlier", "anomaly_score"]], on="ts", how="left")
    rows["is_outlier"] = rows["is_outlier"].fillna(False).astype(bool)
    rows["is_anomaly"] = alarms_on_rows(raw["ts"], scored.loc[scored["is_anomaly"], "ts"])
    return rows


def write_flags(rows: pd.DataFrame, out: Path) -> None:
    """Write the contract's columns: timestamp (UTC), value, is_outlier, is_anomaly, anomaly_score."""
    import pandas as pd

    out.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({
        "timestamp": rows["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "value": rows["value"], "is_outlier": rows["is_outlier"], "is_anomaly": rows["is_anomaly"],
        "anomaly_score": rows["anomaly_score"].round(4),
    })
    table.to_csv(out, index=False)


def detect(
    files: Annotated[list[Path], typer.Argument(help="CSV (or Parquet/JSONL) files, one series each.")],
    time_column: Annotated[str, typer.Option(help="Column with the timestamps.")] = "timestamp",
    value_column: Annotated[str, typer.Option(help="Column with the values.")] = "value",
    out: Annotated[Path | None, typer.Option(help="Output CSV (one input file).")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Output folder: <parent>/<file>.csv per input.")] = None,
    home: Annotated[Path | None, typer.Option(help="Keep the lake here instead of a temporary folder.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Workflow parameter name=value.")] = None,
) -> None:
    """Flag outliers and anomalies in files with the full pipeline; one output row per input row."""
    missing = [path for path in files if not path.is_file()]
    if missing:
        fail(f"no such file: {', '.join(map(str, missing))}")
    if (out is None) == (out_dir is None) or (out is not None and len(files) > 1):
        fail("give --out FILE.csv for one input file, or --out-dir DIR for several")
    run_in_home(home, files, time_column, value_column, out, out_dir, param or [])


def run_in_home(home: Path | None, files: list[Path], time_column: str, value_column: str, out: Path | None,
                out_dir: Path | None, params: list[str]) -> None:
    """Ingest, run the univariate chain and export, in ``home`` (a temporary one when None)."""
    from sparkhu.storage.lake import Lake

    ids = series_ids(files)
    with one_shot_home(home, "sparkhu-detect-"):
        for path, series_id in ids.items():
            call(["ingest", str(path), "--series-id", series_id, "--time-column", time_column,
                  "--value-column", value_column])
        call(["run", "--workflow", "univariate", *[arg for p in params for arg in ("-p", p)]])
        lake = Lake(get_settings().lake)
        for path, series_id in ids.items():
            target = out or Path(out_dir or ".") / path.parent.name / f"{path.stem}.csv"
            rows = flags_per_row(lake, series_id)
            write_flags(rows, target)
            console.print(f"{path}: {len(rows):,} rows, {int(rows['is_anomaly'].sum())} anomalies, "
                          f"{int(rows['is_outlier'].sum())} outliers -> {target}")


def register(app: typer.Typer) -> None:
    """Add ``detect`` to ``app``."""
    app.command("detect")(detect)
