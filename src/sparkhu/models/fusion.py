"""Fusion in forecasting: a target's leading partners, put on the target's grid as covariates.

A partner *leads* a target when the lagged correlation of their differences peaks at a positive lead of
the partner (``correlations``: ``best_lag_s > 0`` with the partner as ``series_a``, or ``< 0`` with it
as ``series_b``) and that peak is significant, the group's false discovery rate controlled
(:func:`discovery_threshold`). The strongest ``count`` such partners become covariates: on the
target's grid, step ``j`` (the target's ``j``-th grid time ``t_j``) gets each partner's last
known value at ``MAX_OFFSETS`` instants of the bucket ``[t_j, t_j + step)``, so a model at a forecast
origin reads the partner's points since the target's last observation and none after the origin (the
idea :mod:`~sparkhu.models.multirate` applies to a sparse column of a wide file, there with the bucket's
rows, here with instants at quarters of the step, since the partner has its own timestamps).

Whether the partners help is validation's call, per target (:func:`decide`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.models.multirate import MAX_OFFSETS
from sparkhu.models.panel import FloatArray, Series

FALSE_DISCOVERY_RATE = 0.05
"""The expected share of spurious leads among those fusion acts on (Benjamini-Hochberg across a group's pairs)."""


@dataclass(frozen=True)
class Partner:
    """A series that leads a target: by how many seconds, how strongly."""

    series_id: str
    lead_s: float
    corr: float


def discovery_threshold(p_values: Sequence[float], hypotheses: int, rate: float = FALSE_DISCOVERY_RATE) -> float:
    """The largest p-value that Benjamini-Hochberg's step-up procedure keeps (-1 when it keeps none).

    Among many series, a test at 0.05 per pair finds a lead by chance in one pair of twenty; controlling
    the false discovery rate over every pair the group could have formed keeps the leads a real relation
    produces (p-values many orders of magnitude smaller) and drops most of the chance ones.

    Args:
        p_values: The tested pairs' p-values (NaN ones never count).
        hypotheses: How many pairs could have been tested: all of the group's, ``n (n - 1) / 2``, so that
            the screen that chose the tested pairs does not escape the correction. At least the tested.
        rate: The false discovery rate controlled.
    """
    ordered = np.sort(np.asarray([p for p in p_values if np.isfinite(p)], dtype=np.float64))
    total = max(hypotheses, len(ordered))
    passing = np.flatnonzero(ordered <= rate * np.arange(1, len(ordered) + 1) / max(total, 1))
    return float(ordered[passing[-1]]) if len(passing) else -1.0


def leading_partners(pairs: pd.DataFrame, target: str, count: int,
                     largest_p: float = FALSE_DISCOVERY_RATE) -> list[Partner]:
    """The ``count`` significant partners that lead ``target`` most strongly (by |lagged correlation|).

    Args:
        pairs: Rows of the ``correlations`` table (``series_a, series_b, best_lag_s, best_lag_corr, p_value``).
        target: The series to forecast.
        count: At most this many partners.
        largest_p: A lead counts when its p-value is at most this (:func:`discovery_threshold` for a group).
    """
    found = []
    for row in pairs.itertuples():
        if row.series_a == target:
            partner, lead = str(row.series_b), -float(row.best_lag_s)
        elif row.series_b == target:
            partner, lead = str(row.series_a), float(row.best_lag_s)
        else:
            continue
        if lead > 0 and float(row.p_value) <= largest_p and np.isfinite(row.best_lag_corr):
            found.append(Partner(partner, lead, float(row.best_lag_corr)))
    return sorted(found, key=lambda p: (-abs(p.corr), p.series_id))[:count]


def bucket_instants(target: Series, length: int | None = None) -> npt.NDArray[np.int64]:
    """Microsecond instants ``(steps, MAX_OFFSETS)`` inside each grid step's bucket, the latest last."""
    steps = target.stamps_us(0, len(target) if length is None else length)
    fractions = np.arange(MAX_OFFSETS) / MAX_OFFSETS
    return steps[:, None] + np.rint(fractions * target.step_s * 1e6).astype(np.int64)[None, :]


def with_partners(target: Series, partners: Mapping[str, tuple[npt.NDArray[np.int64], FloatArray]]) -> Series:
    """The target with each partner's last known value at every bucket instant, as covariates ``id@k``.

    Args:
        target: The target on its grid.
        partners: Per partner id, its observation times (microseconds, increasing) and values (finite).
    """
    instants = bucket_instants(target)
    covariates: dict[str, FloatArray] = {}
    for partner_id, (stamps, values) in sorted(partners.items()):
        for k in range(MAX_OFFSETS):
            covariates[f"{partner_id}@{k}"] = last_known(stamps, values, instants[:, k])
    return replace(target, covariates=covariates)


def last_known(stamps: npt.NDArray[np.int64], values: FloatArray, at: npt.NDArray[np.int64]) -> FloatArray:
    """The value of the latest observation at or before each instant (NaN before the first)."""
    index = np.searchsorted(stamps, at, side="right") - 1
    out = np.full(len(at), np.nan)
    seen = index >= 0
    out[seen] = values[index[seen]]
    return out


@dataclass(frozen=True)
class Decision:
    """Validation's verdict for one target: its best model alone, its best with partners, which one wins."""

    alone: str
    fused: str
    alone_score: float
    fused_score: float

    @property
    def use_partners(self) -> bool:
        """Whether the fused model validated better (a tie keeps the simpler one)."""
        return bool(np.isfinite(self.fused_score) and self.fused_score < self.alone_score)


def decide(scores: Sequence[tuple[str, bool, float]]) -> Decision:
    """The best of each kind from ``(model name, uses partners, validation score)`` rows."""
    def best(fused: bool) -> tuple[str, float]:
        rows = [(score, name) for name, uses, score in scores if uses == fused and np.isfinite(score)]
        return (min(rows)[1], min(rows)[0]) if rows else ("", float("nan"))

    (alone, alone_score), (fused, fused_score) = best(False), best(True)
    return Decision(alone, fused, alone_score, fused_score)
