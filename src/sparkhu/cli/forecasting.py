"""CLI commands ``sparkhu backtest`` and ``sparkhu forecast``: the model pipeline on files, in one go.

``backtest`` scores a target with rolling origins (tuning on the training part only) and writes the
metrics as JSON; ``forecast`` forecasts every series of the files past its last timestamp, with
prediction intervals, and writes ``series_id, ts, value, lo, hi``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sparkhu.cli.errors import fail

if TYPE_CHECKING:
    from sparkhu.models.backtest import BacktestResult, Scored
    from sparkhu.models.panel import Series

console = Console(stderr=True)
FAMILY_HELP = "Families to try (comma list; default: seasonal_naive,ridge,lightgbm,auto_theta,auto_ets)."


MODEL_LIBRARIES = ("sklearn", "lightgbm", "statsforecast")
"""What the ``models`` extra installs and the model commands import."""


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
                "validation_score": round(scored.validation_score, 6)}

    return {"champion": {"name": result.champion.name, **row(result.champion)},
            "models": {scored.name: row(scored) for scored in result.models},
            "origins": len(result.origins), "horizon": result.horizon,
            "points": int(len(result.origins) * result.horizon),
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
    from sparkhu.models.panel import season_length

    try:
        series = read_target(file, time_column, target, covariates)
        season = season_length(series.step_s, len(series))
        candidates = default_candidates(season, bool(series.covariates), families_of(families))
        with console.status(f"backtest of {target}: {len(candidates)} candidates") as status:
            result = backtest(series, candidates, horizon, test_fraction, step or horizon, level=level / 100,
                              on_result=lambda r: status.update(f"validated {r.model.name}: {r.score:.4f}"))
    except (ModelInputError, ValueError) as error:
        fail(str(error))
    out.write_text(json.dumps(metrics_document(result), indent=2) + "\n")
    errors = result.champion.errors
    console.print(f"champion [bold]{result.champion.name}[/]: MAE {errors['MAE']:.4f}, sMAPE {errors['sMAPE']:.3f}, "
                  f"MASE {errors['MASE']:.3f} over {len(result.origins) * result.horizon} points; "
                  f"{result.level:.0%} interval coverage {result.coverage:.1%}. Metrics: {out}")


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to ``app``."""
    app.command("backtest")(backtest_command)
