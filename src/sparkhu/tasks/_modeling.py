"""What tune, train and forecast share: the group parameter, the horizon, the held-out tail, the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sparkhu.config import Settings
from sparkhu.models.evaluation import ValidationPlan
from sparkhu.models.panel import Series
from sparkhu.tasks.params import Param

if TYPE_CHECKING:
    from sparkhu.tracking.store import ModelStore

GROUP = Param("group", str, "default", "Series group (a feature's group; 'default' for none)")
HORIZON = Param("horizon", int, 24, "Steps to forecast (in each series' own period)", minimum=1, maximum=10_000,
                workflow_name="forecast-horizon")
HOLDOUT = Param("holdout_fraction", float, 0.2, "Last share of each series kept out of tuning for the "
                "champion decision (the share the scalers never saw)", minimum=0.05, maximum=0.5,
                workflow_name="model-holdout-fraction")
MODEL_STAGE = "model"
"""The ``selection_scores`` stage of model choices."""


GROUP_ORIGINS = 600
"""Most forecast origins scored over a whole group (validation and held-out decision alike): a group of
hundreds of series gets a couple per series (each pooled score still rests on hundreds of forecasts),
where every origin of every series would refit each local model thousands of times."""


def origins_per_series(wanted: int, series: int, least: int = 1) -> int:
    """Origins per series: ``wanted``, fewer in a large group (at least ``least``) to stay near GROUP_ORIGINS."""
    return max(least, min(wanted, GROUP_ORIGINS // max(series, 1)))


def group_plan(train: Sequence[Series], horizon: int, wanted: int) -> ValidationPlan:
    """Validation origins one horizon apart, ``wanted`` per series (at least 2, fewer in a large group)."""
    return ValidationPlan.of(train, horizon, origins_per_series(wanted, len(train), least=2), horizon)


def heads(panel: Sequence[Series], fraction: float) -> list[Series]:
    """Each series without its held-out tail (what tuning may see)."""
    return [series.head(len(series) - int(len(series) * fraction)) for series in panel]


def model_store(settings: Settings) -> ModelStore:
    """The MLflow store of the settings (artifacts under the home for a local SQLite store)."""
    from sparkhu.tracking.store import ModelStore

    uri = settings.mlflow
    artifacts = None if uri.startswith(("http://", "https://")) else (settings.home / "mlartifacts").as_uri()
    return ModelStore(uri, artifacts)
