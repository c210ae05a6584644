"""Task ``detect-outliers-iqr``: Tukey fences from a look-back sample, flags on the interval."""

from __future__ import annotations

from sparkhu.analysis.outliers import DEFAULT_K, flag_outliers, iqr_fences
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.params import Param
from sparkhu.tasks.spec import TaskOutcome, TaskSpec, register


def run(ctx: TaskContext) -> TaskOutcome:
    """Fences ``Q1 - k*IQR``, ``Q3 + k*IQR`` from the sample window; points beyond them are outliers."""
    sample_start = min(ctx.lookback(ctx.params["sample_days"]), ctx.interval.start)
    sample = ctx.read("missing_marked", start=sample_start)
    points = sample[sample["ts"] >= ctx.interval.start]
    flagged = flag_outliers(points, iqr_fences(sample, k=ctx.params["k"]))
    ctx.write("outliers", flagged)
    return TaskOutcome(rows_in=len(points), rows_out=len(flagged), n_series=int(flagged["series_id"].nunique()),
                       counts={"outliers": int(flagged["is_outlier"].sum()), "sample_rows": len(sample)})


SPEC = register(TaskSpec(
    name="detect-outliers-iqr",
    summary="IQR outlier flags with quartiles from a look-back sample window",
    inputs=("missing_marked",),
    outputs=("outliers",),
    params=(
        Param("k", float, DEFAULT_K, "Fence multiplier of the IQR", minimum=0.1, maximum=100),
        Param("sample_days", float, 60.0, "Sample window for the quartiles (days back from the end)",
              minimum=0.01, maximum=3650),
    ),
    run=run,
))
