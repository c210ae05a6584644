"""Task ``plan``: choose the shard fan-out of a run, and the variant fan-outs over those shards."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from sparkhu.analysis.anomaly_handling import HANDLERS
from sparkhu.analysis.imputation import VARIANTS
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param, TaskInputError
from sparkhu.tasks.spec import LIGHT, TaskOutcome, TaskSpec, register

SHARDS_OUTPUT = "shards"
"""Output: JSON list of shard labels, e.g. ``["0/2", "1/2"]``; sharded nodes loop over it."""

MISSING_FANOUT = "missing_fanout"
"""Output: JSON list of ``{"variants", "shard"}`` maps, one ``handle-missing`` node each."""

ANOMALY_FANOUT = "anomaly_fanout"
"""Output: JSON list of ``{"variants", "shard"}`` maps, one ``handle-anomalies`` node each."""


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


def variant_groups(variants: list[str], per_node: int) -> list[str]:
    """The variants in comma-joined groups of ``per_node`` (0: one group of all)."""
    size = per_node or len(variants)
    return [",".join(variants[index:index + size]) for index in range(0, len(variants), size)]


def fanout(groups: list[str], shards: list[str]) -> str:
    """JSON list of ``{"variants", "shard"}`` maps: one node per variant group and shard."""
    return json.dumps([{"variants": group, "shard": shard} for group in groups for shard in shards])


def run(ctx: TaskContext) -> TaskOutcome:
    """Count the registered series; write ``shards`` and the two variant fan-outs."""
    per_node = ctx.params["variants_per_node"]
    missing = variant_groups(variant_list(ctx.params["missing_variants"], VARIANTS, "missing_variants"), per_node)
    anomaly = variant_groups(variant_list(ctx.params["anomaly_variants"], tuple(HANDLERS), "anomaly_variants"),
                             per_node)
    n_series = len(ctx.features())
    labels = shard_labels(n_series, ctx.params["series_per_shard"], ctx.params["max_shards"],
                          ctx.params["min_shards"])
    outputs = {SHARDS_OUTPUT: json.dumps(labels), MISSING_FANOUT: fanout(missing, labels),
               ANOMALY_FANOUT: fanout(anomaly, labels)}
    return TaskOutcome(n_series=n_series, counts={"shards": len(labels)}, outputs=outputs)


SPEC = register(TaskSpec(
    name="plan",
    summary="Decide the shard fan-out of a run and the variant fan-outs over the shards",
    inputs=(),
    outputs=(),
    params=(
        Param("series_per_shard", int, 250, "Series per shard", minimum=1, workflow_name="series-per-shard"),
        Param("max_shards", int, 8, "Upper bound on parallel shards", minimum=1, maximum=1024,
              workflow_name="max-shards"),
        # Two shards keep both cores of a small machine busy even for a handful of series.
        Param("min_shards", int, 2, "Lower bound on shards (when there are that many series)", minimum=1,
              maximum=1024),
        Param("missing_variants", str, ",".join(VARIANTS), "handle-missing variants to run (comma list)",
              workflow_name="missing-variants"),
        Param("anomaly_variants", str, ",".join(HANDLERS), "handle-anomalies variants to run (comma list)",
              workflow_name="anomaly-variants"),
        # One node reads its shard once and runs every variant on it; in a cluster, 1 spreads the variants
        # over pods (each pod then pays its own start-up and read of the shard).
        Param("variants_per_node", int, 0, "Variants per handle-* node (0: all in one node per shard)",
              minimum=0, maximum=64),
    ),
    run=run,
    resources=LIGHT,
    extra_outputs=(SHARDS_OUTPUT, MISSING_FANOUT, ANOMALY_FANOUT),
))
