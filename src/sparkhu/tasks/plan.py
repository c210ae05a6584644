"""Task ``plan``: choose the shard fan-out of a run, and the variant fan-outs over those shards."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from sparkhu.analysis.anomaly_handling import HANDLERS
from sparkhu.analysis.imputation import VARIANTS
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param, TaskInputError
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def shard_labels(n_series: int, series_per_shard: int, max_shards: int, min_shards: int = 1) -> list[str]:
    """Shard labels ``["0/N", ..., "N-1/N"]``.

    N is ceil(series / per shard), raised to ``min_shards`` (but never above the number of series) and
    capped at ``max_shards``.
    """
    wanted = max(math.ceil(n_series / series_per_shard), min(min_shards, n_series), 1)
    count = min(max_shards, wanted)
    return [f"{index}/{count}" for index in range(count)]


def variant_list(text: str, known: Sequence[str], label: str) -> list[str]:
    """Variant names from comma-separated text, each checked against ``known``.

    Raises:
        TaskInputError: Empty list or an unknown variant (the message lists the known ones).
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise TaskInputError(f"{label} must list some of {', '.join(known)}; got {text!r}")
    return list(dict.fromkeys(names))


def fanout(variants: list[str], shards: list[str]) -> str:
    """JSON list of ``{"variant", "shard"}`` maps: one node per variant and shard."""
    return json.dumps([{"variant": variant, "shard": shard} for variant in variants for shard in shards])


def run(ctx: TaskContext) -> TaskOutcome:
    """Count the registered series; write ``shards`` and the two variant fan-outs."""
    missing = variant_list(ctx.params["missing_variants"], VARIANTS, "missing_variants")
    anomaly = variant_list(ctx.params["anomaly_variants"], tuple(HANDLERS), "anomaly_variants")
    n_series = len(ctx.features())
    labels = shard_labels(n_series, ctx.params["series_per_shard"], ctx.params["max_shards"],
                          ctx.params["min_shards"])
    outputs = {"shards": json.dumps(labels), "missing_fanout": fanout(missing, labels),
               "anomaly_fanout": fanout(anomaly, labels)}
    return TaskOutcome(n_series=n_series, counts={"shards": len(labels)}, outputs=outputs)


SPEC = register(TaskSpec(
    name="plan",
    summary="Decide the shard fan-out of a run and the variant fan-outs over the shards",
    inputs=(),
    outputs=(),
    params=(
        Param("series_per_shard", int, 250, "Series per shard", minimum=1),
        Param("max_shards", int, 8, "Upper bound on parallel shards", minimum=1, maximum=1024),
        # Two shards keep both cores of a small machine busy even for a handful of series.
        Param("min_shards", int, 2, "Lower bound on shards (when there are that many series)", minimum=1,
              maximum=1024),
        Param("missing_variants", str, ",".join(VARIANTS), "handle-missing variants to run (comma list)"),
        Param("anomaly_variants", str, "keep,replace_expected,ema,clip",
              "handle-anomalies variants to run (comma list)"),
    ),
    run=run,
))
