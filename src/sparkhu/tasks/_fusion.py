"""What fuse and forecast share: the group's latest correlations and fusion rows, and a target's fused series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sparkhu.models.fusion import with_partners
from sparkhu.models.panel import Series
from sparkhu.tasks.context import TaskContext

FUSED_FOLDER = "fused"
"""Artifact folder of a fused model in its MLflow run."""


def latest_rows(ctx: TaskContext, table: str, group: str) -> pd.DataFrame:
    """The group's rows of ``table`` from its latest interval up to the run's end (empty when none)."""
    from sparkhu.storage.lake import Slice

    rows = ctx.lake.read(table, Slice(None, ctx.interval.end, equals={"group": group}))
    return rows[rows["interval_start"] == rows["interval_start"].max()] if len(rows) else rows


def fused_series(target: Series, partner_ids: Sequence[str], panel: Mapping[str, Series]) -> Series | None:
    """``target`` with the named partners' points as covariates; None when a partner has no data."""
    points = {}
    for partner_id in partner_ids:
        partner = panel.get(partner_id)
        if partner is None or not np.isfinite(partner.values).any():
            return None
        known = np.isfinite(partner.values)
        points[partner_id] = (partner.stamps_us()[known], partner.values[known])
    return with_partners(target, points)


def partner_list(text: str | None) -> list[str]:
    """The ids of a ``fusion`` row's comma-separated ``partners``."""
    return [name for name in (text or "").split(",") if name]
