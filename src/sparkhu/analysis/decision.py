"""One sampling period per series, decided from the estimates of recent windows.

The data's period is the median of the windows' estimates weighted by their number of points, so a
single bad window (a day of outages, a day sampled twice as fast) cannot move it. Its
``confidence`` is the weighted share of informative windows (status ``ok`` or ``no_decision``) whose
estimate agrees with it within :data:`AGREEMENT`.

A declared period (from the feature metadata) wins unless the data clearly contradicts it: the
windows agreeing with the declared period carry less than half the weight while the data's own
period reaches :data:`MIN_CONFIDENCE`. Then the data decides and ``contradicts_declared`` is set.
Without a declared period, data below :data:`MIN_CONFIDENCE` decides nothing (``"none"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import FloatArray, series_column
from sparkhu.frame import SERIES, require_columns

DecidedBy = Literal["data", "declared", "none"]

#: Relative difference within which two periods agree.
AGREEMENT = 0.05
#: Weighted agreement the data needs to decide alone or to overrule a declared period.
MIN_CONFIDENCE = 0.6
#: Weighted share of windows agreeing with a declared period that confirms it.
DECLARED_SUPPORT = 0.5
ESTIMATE_INPUT = ("period_seconds", "n_points", "is_regular", "status")
DECISION_COLUMNS = (
    "period_seconds",
    "is_regular",
    "confidence",
    "decided_by",
    "contradicts_declared",
    "n_estimates",
    "declared_period_seconds",
)

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Decision:
    """The decided period of one series.

    Attributes:
        period_seconds: Decided period (NaN when ``decided_by`` is ``"none"``).
        is_regular: Most of the weight agreeing with the decided period says regular (a declared
            period without any data counts as regular).
        confidence: Weighted share (0..1) of informative windows that agree with the decided period.
        decided_by: ``"data"``, ``"declared"`` or ``"none"``.
        contradicts_declared: The data overruled a declared period.
        n_estimates: Windows with a usable estimate (status ``ok``).

    """

    period_seconds: float
    is_regular: bool
    confidence: float
    decided_by: DecidedBy
    contradicts_declared: bool
    n_estimates: int


@dataclass(frozen=True)
class _Windows:
    """The informative windows of one series: estimates, weights and which ones are usable."""

    periods: FloatArray
    weights: FloatArray
    regular: BoolArray
    usable: BoolArray

    def support(self, period: float) -> float:
        """Weighted share of the windows whose usable estimate agrees with ``period``."""
        total = self.weights.sum()
        return float(self.weights[self.agrees(period)].sum() / total) if total > 0 else 0.0

    def agrees(self, period: float) -> BoolArray:
        """Usable windows whose estimate is within :data:`AGREEMENT` of ``period``."""
        return self.usable & (np.abs(self.periods - period) <= AGREEMENT * period)

    def regular_at(self, period: float) -> bool:
        """Whether most of the weight agreeing with ``period`` calls the series regular."""
        agreeing = self.agrees(period)
        if not agreeing.any():
            return not self.usable.any()
        weights = self.weights[agreeing]
        return bool(weights[self.regular[agreeing]].sum() * 2 >= weights.sum())


def decide_period(estimates: pd.DataFrame, declared_period: float | None = None) -> Decision:
    """Decide one series' period from its window estimates and its declared period.

    Args:
        estimates: One row per recent window with period_seconds, n_points, is_regular and status
            (other columns, such as interval_end, are ignored).
        declared_period: The period declared in the metadata, in seconds, or None.

    Returns:
        The :class:`Decision`.

    Raises:
        ValueError: If ``estimates`` lacks one of the columns above.

    """
    require_columns(estimates, list(ESTIMATE_INPUT))
    windows = _windows(estimates)
    declared = _usable_period(declared_period)
    n_estimates = int(windows.usable.sum())
    data_period = _weighted_median(windows.periods[windows.usable], windows.weights[windows.usable])
    data_confidence = windows.support(data_period) if n_estimates else 0.0
    if declared is not None:
        declared_support = windows.support(declared)
        overruled = declared_support < DECLARED_SUPPORT and data_confidence >= MIN_CONFIDENCE
        if not overruled:
            return _decision(windows, declared, declared_support, "declared", False, n_estimates)
        return _decision(windows, data_period, data_confidence, "data", True, n_estimates)
    if n_estimates and data_confidence >= MIN_CONFIDENCE:
        return _decision(windows, data_period, data_confidence, "data", False, n_estimates)
    return Decision(np.nan, False, data_confidence, "none", False, n_estimates)


def decide_periods(
    estimates: pd.DataFrame, declared: Mapping[str, float | None] | None = None
) -> pd.DataFrame:
    """Decide the period of every series that has estimates or a declared period.

    Args:
        estimates: Window estimates of many series: series_id plus the columns of
            :func:`decide_period`.
        declared: Declared period per series (None or absent: not declared).

    Returns:
        One row per series, sorted by series_id: series_id and :data:`DECISION_COLUMNS`.

    """
    require_columns(estimates, [SERIES, *ESTIMATE_INPUT])
    declared = declared or {}
    known = estimates[estimates[SERIES].notna()]
    rows: dict[str, dict[str, object]] = {}
    # A loop over series is fine here: a series has a handful of windows, and each call is vectorized.
    for series_id, window_rows in known.groupby(known[SERIES].astype(str), sort=False):
        rows[str(series_id)] = asdict(decide_period(window_rows, declared.get(str(series_id))))
    for series_id, period in declared.items():
        if series_id not in rows:
            rows[series_id] = asdict(decide_period(estimates.iloc[:0], period))
    return _decision_table(rows, declared)


def _windows(estimates: pd.DataFrame) -> _Windows:
    """Arrays of the informative windows (status ok or no_decision, at least one point)."""
    status = estimates["status"].astype("string").fillna("").to_numpy(dtype=object)
    periods = pd.to_numeric(estimates["period_seconds"], errors="coerce").to_numpy(
        np.float64, na_value=np.nan
    )
    weights = pd.to_numeric(estimates["n_points"], errors="coerce").fillna(0).to_numpy(np.float64)
    regular = estimates["is_regular"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    informative = np.isin(status, ["ok", "no_decision"]) & (weights > 0)
    usable = informative & (status == "ok") & np.isfinite(periods) & (periods > 0)
    return _Windows(periods[informative], weights[informative], regular[informative], usable[informative])


def _weighted_median(values: FloatArray, weights: FloatArray) -> float:
    """The lower weighted median (NaN for no values)."""
    if not values.size:
        return np.nan
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _usable_period(period: float | None) -> float | None:
    """A declared period as a positive float, or None."""
    if period is None or not np.isfinite(period) or period <= 0:
        return None
    return float(period)


def _decision(
    windows: _Windows, period: float, confidence: float, by: DecidedBy, contradicts: bool, n_estimates: int
) -> Decision:
    """A decision for ``period`` with its regularity read from the agreeing windows."""
    return Decision(period, windows.regular_at(period), confidence, by, contradicts, n_estimates)


def _decision_table(rows: dict[str, dict[str, object]], declared: Mapping[str, float | None]) -> pd.DataFrame:
    """The per-series decisions as a typed frame sorted by series_id."""
    ids = sorted(rows)
    table = pd.DataFrame([rows[series_id] for series_id in ids], columns=list(DECISION_COLUMNS[:-1]))
    table["declared_period_seconds"] = [_usable_period(declared.get(series_id)) for series_id in ids]
    table.insert(0, SERIES, series_column(ids))
    types = {"period_seconds": "float64", "is_regular": "bool", "confidence": "float64"}
    types |= {"decided_by": "string", "contradicts_declared": "bool", "n_estimates": "int64"}
    return table.astype({**types, "declared_period_seconds": "float64"})
