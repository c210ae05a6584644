"""Task ``plan-models``: the series groups the model pipeline runs for (one tune/train/forecast node each)."""

from __future__ import annotations

import json

from sparkhu.tasks._panels import group_of
from sparkhu.tasks.context import TaskContext
from sparkhu.tasks.spec import LIGHT, TaskOutcome, TaskSpec, register

GROUPS_OUTPUT = "groups"
"""Output: JSON list of group names, e.g. ``["plant", "power"]``."""


def run(ctx: TaskContext) -> TaskOutcome:
    """List the groups of the active registered series that have normalised data up to the interval's end."""
    from sparkhu.storage.lake import Slice

    present = set(ctx.lake.read("normalized", Slice(None, ctx.interval.end), columns=["series_id"])["series_id"])
    groups = sorted({group_of(f.group) for fid, f in ctx.features().items() if f.active and fid in present})
    return TaskOutcome(n_series=len(present), counts={"groups": len(groups)},
                       outputs={GROUPS_OUTPUT: json.dumps(groups)})


SPEC = register(TaskSpec(
    name="plan-models",
    summary="List the series groups the model pipeline tunes, trains and forecasts",
    inputs=("normalized",),
    outputs=(),
    params=(),
    run=run,
    resources=LIGHT,
    extra_outputs=(GROUPS_OUTPUT,),
))
