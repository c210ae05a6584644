"""CLI commands ``sparkhu backtest`` and ``sparkhu forecast``: the model pipeline on files, in one go.

``backtest`` scores a target with rolling origins (tuning on the training part only) and writes the
metrics as JSON. ``forecast`` ingests files into a one-shot home, runs the univariate and model
WorkflowTemplates (the daily pipeline's tasks) and writes the latest forecast of every series as
``series_id, ts, value, lo, hi``; series that get none are listed with the reason in ``OUT.skipped.csv``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sparkhu.cli.errors import fail
from sparkhu.cli.oneshot import call, one_shot_home, series_ids

if TYPE_CHECKING:
    import pandas as pd

    from sparkhu.models.backtest import BacktestResult, Scored
    from sparkhu.models.panel import Series
    from sparkhu.storage.lake import Lake

console = Console(stderr=True)
FAMILY_HELP = "Families to try (comma list; default: seasonal_naive,ridge,lightgbm,auto_theta,auto_ets)."


MODEL_LIBRARIES = ("sklearn", "lightgbm", "statsforecast", "mlflow", "ray")
"""What the ``models`` extra installs and the model commands import."""
OUTPUT_COLUMNS = ["series_id", "ts", "value", "lo", "hi"]
ONE_SHOT_FAMILIES = "seasonal_naive,ridge,lightgbm"
"""What ``forecast`` tunes by default: local models refit per series and origin (hundreds of series
times validation origins) do not fit a one-shot budget; the global ones learn once per group."""
SOME_SERIES_NOT_FORECAST = 2
"""Exit code of ``forecast`` when some series (not all) got no forecast: the CSV holds the others."""


def require_models() -> None:
    """Exit 2 with the install command when the ``models`` extra is missing."""
    missing = [name for name in MODEL_LIBRARIES if importlib.util.find_spec(name) is None]
    if missing:
        fail(f"the model commands need the models extra ({', '.join(missing)} missing): pip install 'sparkhu[models]'")


def covariate_columns(option: str, columns: list[str], time_column: str, target: str) -> list[str]:
    """The covariates ``--covariates`` names: ``all`` (every other column), ``none``, or a comma list."""
    others = [c for c in columns if c not in (time_column, target)]
    if option.strip().lower() in ("", "none"):
        return []
    if option.strip().lower() == "all":
        return others
    wanted = [name.strip() for name in option.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in others]
    if unknown:
        fail(f"--covariates: unknown columns {unknown}; the file has {others}")
    return wanted


def families_of(option: str) -> tuple[str, ...]:
    """The families ``--families`` lists, checked against the registry."""
    from sparkhu.models.base import FAMILIES, _import_families
    from sparkhu.models.candidates import STANDARD_FAMILIES

    if not option:
        return STANDARD_FAMILIES
    _import_families()
    names = tuple(name.strip() for name in option.split(",") if name.strip())
    unknown = [name for name in names if name not in FAMILIES]
    if unknown:
        fail(f"--families: unknown {unknown}; known: {', '.join(sorted(FAMILIES))}")
    return names


def read_target(file: Path, time_column: str, target: str, covariates: str) -> Series:
    """The file's target on its grid, with the chosen covariates."""
    from sparkhu.models.files import numeric, on_grid, parse_times, read_table, require

    frame = read_table(file)
    require(frame, [time_column, target], file)
    chosen = covariate_columns(covariates, list(frame.columns), time_column, target)
    columns = {name: numeric(frame[name], file, name) for name in [target, *chosen]}
    return on_grid(parse_times(frame[time_column], file, time_column), columns, target)


def metrics_document(result: BacktestResult) -> dict[str, object]:
    """The METRICS.json of a backtest."""
    def row(scored: Scored) -> dict[str, object]:
        return {"family": scored.family, **{k: round(v, 6) for k, v in scored.errors.items()},
                "validation_score": round(scored.validation_score, 6), "uses_covariates": scored.uses_covariates}

    return {"champion": {"name": result.champion.name, **row(result.champion)},
            "models": {scored.name: row(scored) for scored in result.models},
            "origins": len(result.origins), "horizon": result.horizon,
            "points": result.points,
            "intervals": {"level": result.level, "coverage": round(result.coverage, 4)}}


def backtest_command(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file with a time column and the target.")],
    time_column: Annotated[str, typer.Option(help="Timestamp column.")],
    target: Annotated[str, typer.Option(help="Column to forecast.")],
    horizon: Annotated[int, typer.Option(min=1, help="Steps ahead, in rows of the file's time grid.")],
    out: Annotated[Path, typer.Option(help="Where to write METRICS.json.")],
    covariates: Annotated[str, typer.Option(help="Other columns the models may use: all, none or a comma list.")]
    = "none",
    test_fraction: Annotated[float, typer.Option(min=0.01, max=0.9, help="Last share of rows that is the test.")]
    = 0.2,
    step: Annotated[int | None, typer.Option(min=1, help="Rows between test origins (default: the horizon).")] = None,
    level: Annotated[float, typer.Option(min=1, max=99, help="Prediction-interval level in percent.")] = 80.0,
    families: Annotated[str, typer.Option(help=FAMILY_HELP)] = "",
) -> None:
    """Rolling-origin evaluation: tune on the training part, score the champion on every test origin."""
    require_models()
    from sparkhu.models.backtest import backtest
    from sparkhu.models.candidates import default_candidates
    from sparkhu.models.files import ModelInputError
    from sparkhu.models.multirate import own_grid
    from sparkhu.models.panel import season_length

    try:
        series = read_target(file, time_column, target, covariates)
        own = own_grid(series)  # a sparse target's seasons count its own observations
        season = season_length(own.step_s, len(own))
        candidates = default_candidates(season, bool(series.covariates), families_of(families))
        with console.status(f"backtest of {target}: {len(candidates)} candidates") as status:
            result = backtest(series, candidates, horizon, test_fraction, step or horizon, level=level / 100,
                              on_result=lambda r: status.update(f"validated {r.model.name}: {r.score:.4f}"))
    except (ModelInputError, ValueError) as error:
        fail(str(error))
    out.write_text(json.dumps(metrics_document(result), indent=2) + "\n")
    errors = result.champion.errors
    console.print(f"champion [bold]{result.champion.name}[/]: MAE {errors['MAE']:.4f}, sMAPE {errors['sMAPE']:.3f}, "
                  f"MASE {errors['MASE']:.3f} over {result.points} points; "
                  f"{result.level:.0%} interval coverage {result.coverage:.1%}. Metrics: {out}")


# --- sparkhu forecast ---------------------------------------------------------------------------------

def ingest_arguments(files: list[Path], series_column: str | None, time_column: str, value_column: str
                     ) -> list[list[str]]:
    """The ``sparkhu ingest`` calls: one for long files, or one per file named after it without a series column."""
    columns = ["--time-column", time_column, "--value-column", value_column]
    if series_column:
        return [["ingest", *map(str, files), "--series-column", series_column, *columns]]
    return [["ingest", str(file), "--series-id", name, *columns] for file, name in series_ids(files).items()]


def run_arguments(horizon: int, level: float, families: str, trials: int | None, budget: float | None) -> list[str]:
    """The ``sparkhu run`` call of the whole chain with the forecast's parameters."""
    parameters = [f"forecast-horizon={horizon}", f"forecast-level={level:g}"]
    parameters += [f"model-families={families}"] if families else []
    parameters += [f"tune-trials={trials}"] if trials else []
    parameters += [f"tune-budget-seconds={budget:g}"] if budget else []
    return ["run", "--workflow", "all", *(item for p in parameters for item in ("-p", p))]


def latest_forecasts(lake: Lake) -> pd.DataFrame:
    """The last issue of each series' forecasts, finite values only, in the output's columns."""
    frame = lake.read("forecasts")
    frame = frame[frame["issued_at"] == frame.groupby("series_id")["issued_at"].transform("max")]
    frame = frame[frame["value"].notna()]
    return frame.sort_values(["series_id", "ts"])[OUTPUT_COLUMNS].reset_index(drop=True)


def skipped_series(lake: Lake, forecast: set[str], horizon: int) -> dict[str, str]:
    """Why each series seen at ingest has no forecast, by series id."""
    quarantine = lake.read("quarantine", columns=["series_id", "reason"]).dropna(subset=["series_id"])
    raw = lake.read("raw", columns=["series_id"])["series_id"].value_counts()
    normalized = lake.read("normalized", columns=["series_id", "value"]).dropna()["series_id"].value_counts()
    reasons: dict[str, str] = {}
    for series_id in sorted((set(raw.index) | set(quarantine["series_id"])) - forecast):
        rejected = quarantine[quarantine["series_id"] == series_id]["reason"]
        if series_id not in raw.index:
            reasons[series_id] = f"every row was rejected at ingest ({len(rejected)} rows; e.g. {rejected.iloc[0]})"
        elif series_id not in normalized.index:
            reasons[series_id] = (f"{raw[series_id]} valid points: too few for the cleaning chain to decide a "
                                  "period and keep the series")
        elif normalized[series_id] < horizon:
            reasons[series_id] = f"{normalized[series_id]} points: too short for a {horizon}-step horizon"
        else:
            reasons[series_id] = f"{normalized[series_id]} cleaned points, but no model could forecast it"
    return reasons


def report_skipped(reasons: dict[str, str], out: Path) -> Path | None:
    """Print the reasons (first few) and write them all next to ``out``; None when nothing was skipped."""
    if not reasons:
        return None
    import pandas as pd

    path = out.with_name(f"{out.stem}.skipped.csv")
    pd.DataFrame({"series_id": list(reasons), "reason": list(reasons.values())}).to_csv(path, index=False)
    for series_id, reason in list(reasons.items())[:10]:
        console.print(f"[yellow]not forecast[/] {series_id}: {reason}", soft_wrap=True)
    if len(reasons) > 10:
        console.print(f"... and {len(reasons) - 10} more series", soft_wrap=True)
    return path


def check_inputs(files: list[Path], horizon: int) -> None:
    """Exit 2 on a missing file or a horizon below one step (before anything runs)."""
    missing = [str(file) for file in files if not file.exists()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    if horizon < 1:
        fail(f"--horizon must be at least 1 step, got {horizon}")


def forecast_command(
    files: Annotated[list[Path], typer.Argument(help="CSV, Parquet or JSON-lines files (long layout, or one "
                                                     "series per file without --series-column).")],
    time_column: Annotated[str, typer.Option(help="Timestamp column.")],
    value_column: Annotated[str, typer.Option(help="Value column.")],
    horizon: Annotated[int, typer.Option(help="Steps to forecast after each series' last timestamp.")],
    out: Annotated[Path, typer.Option(help="CSV to write: series_id, ts, value, lo, hi.")],
    series_column: Annotated[str | None, typer.Option(help="Column naming the series (default: one series per "
                                                           "file, named after the file).")] = None,
    level: Annotated[float, typer.Option(min=1, max=99, help="Prediction-interval level in percent.")] = 80.0,
    home: Annotated[Path | None, typer.Option(help="Home to keep (lake, MLflow store, reports); default: a "
                                                   "temporary one, removed afterwards.")] = None,
    families: Annotated[str, typer.Option(help="Model families to tune (comma list). Default: the naive gate "
                                               "and the global families, which cost one fit per group however "
                                               "many series; add auto_theta,auto_ets for a few long series.")]
    = ONE_SHOT_FAMILIES,
    trials: Annotated[int | None, typer.Option(min=1, help="Tuning trials (default: the pipeline's).")] = None,
    budget_seconds: Annotated[float | None, typer.Option(min=5, help="Tuning time budget in seconds.")] = None,
) -> None:
    """Forecast every series of the files: ingest, clean, tune, train and forecast, then write the CSV.

    Exit code 2 on bad input, and when some series could not be forecast (the CSV holds the others and
    OUT.skipped.csv says why).
    """
    check_inputs(files, horizon)
    require_models()
    families = ",".join(families_of(families or ONE_SHOT_FAMILIES))
    from sparkhu.cli.tables import lake_from_settings

    with one_shot_home(home, "sparkhu-forecast-"):
        for argv in ingest_arguments(files, series_column, time_column, value_column):
            call(argv)
        call(run_arguments(horizon, level, families, trials, budget_seconds))
        lake = lake_from_settings()
        frame = latest_forecasts(lake)
        reasons = skipped_series(lake, set(frame["series_id"]), horizon)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    skipped = report_skipped(reasons, out)
    console.print(f"[bold]{frame['series_id'].nunique()}[/] series forecast {horizon} steps ahead "
                  f"({level:g}% intervals): {out}" + (f"; {len(reasons)} not forecast: {skipped}" if skipped else ""))
    if frame.empty:
        fail("no series could be forecast")
    if reasons:
        raise typer.Exit(SOME_SERIES_NOT_FORECAST)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` and ``forecast`` to ``app``."""
    app.command("backtest")(backtest_command)
    app.command("forecast")(forecast_command)
