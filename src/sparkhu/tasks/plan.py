"""Task ``plan``: choose how many shards the per-series tasks of a run fan out to."""

from __future__ import annotations

import json
import math

from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def shard_labels(n_series: int, series_per_shard: int, max_shards: int) -> list[str]:
    """``["0/N", ..., "N-1/N"]`` with N = ceil(series / per shard), between 1 and ``max_shards``."""
    count = min(max_shards, max(1, math.ceil(n_series / series_per_shard)))
    return [f"{index}/{count}" for index in range(count)]


def run(ctx: TaskContext) -> TaskOutcome:
    """Count the registered series of the run and write the ``shards`` output parameter."""
    n_series = len(ctx.features())
    labels = shard_labels(n_series, ctx.params["series_per_shard"], ctx.params["max_shards"])
    return TaskOutcome(n_series=n_series, counts={"shards": len(labels)},
                       outputs={"shards": json.dumps(labels)})


SPEC = register(TaskSpec(
    name="plan",
    summary="Decide the shard fan-out of a run from the number of series",
    inputs=(),
    outputs=(),
    params=(
        Param("series_per_shard", int, 250, "Series per shard", minimum=1),
        Param("max_shards", int, 8, "Upper bound on parallel shards", minimum=1, maximum=1024),
    ),
    run=run,
))
