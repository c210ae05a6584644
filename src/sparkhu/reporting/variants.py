"""Variant comparisons recorded by the pooling tasks (``pool-missing``, ``pool-anomalies``).

A pooling task records, in its report row, the error each variant reached (``mae.<variant>``, or any
metric of :data:`ERROR_METRICS`) and how many series chose each one (``chosen.<variant>``). Per-series
errors may also be recorded as ``<metric>.<series>.<variant>`` or ``<metric>.<variant>.<series>``
(nested JSON objects are read as dotted keys). Whatever subset exists is shown; nothing is required.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sparkhu.reporting.runsummary import flatten, numeric_items, parse_json

#: Error metrics recognised as key prefixes, in order of preference for the chart.
ERROR_METRICS = ("mae", "rmse", "mse", "mape", "smape", "mase", "error")
CHOSEN = "chosen"


@dataclass
class VariantComparison:
    """What one pooling task measured.

    Attributes:
        task: The pooling task.
        errors: Run-level error per metric and variant (mean over report rows, weighted by series).
        chosen: Series that chose each variant.
        per_series: Error per series, metric and variant, where recorded.
    """

    task: str
    errors: dict[str, dict[str, float]] = field(default_factory=dict)
    chosen: dict[str, float] = field(default_factory=dict)
    per_series: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    @property
    def metric(self) -> str | None:
        """The metric a chart shows: the first of :data:`ERROR_METRICS` that was recorded."""
        return next((name for name in ERROR_METRICS if name in self.errors), None)

    @property
    def is_empty(self) -> bool:
        """Whether nothing was recorded."""
        return not (self.errors or self.chosen or self.per_series)

    def series_errors(self, series_id: str) -> dict[str, float]:
        """One series' error per variant in the chart's metric (empty when not recorded)."""
        recorded = self.per_series.get(series_id, {})
        metric = next((name for name in ERROR_METRICS if name in recorded), None)
        return recorded[metric] if metric else {}


def compare_variants(rows: pd.DataFrame, task: str, series: tuple[str, ...]) -> VariantComparison:
    """Read the comparison of ``task`` from its report rows.

    Args:
        rows: ``reports`` rows (any tasks; only ``task``'s are read).
        task: Pooling task name.
        series: Known series ids (to recognise per-series keys, since ids may contain dots).
    """
    comparison = VariantComparison(task)
    weighted: dict[tuple[str, str], tuple[float, float]] = {}
    longest_first = sorted(series, key=len, reverse=True)
    for row in rows[rows["task"] == task].itertuples():
        weight = float(row.n_series) if pd.notna(row.n_series) and row.n_series else 1.0
        values = numeric_items(flatten({**parse_json(row.counts), **parse_json(row.metrics)}))
        for key, value in values.items():
            _absorb(comparison, weighted, key, value, weight, longest_first)
    for (metric, variant), (total, weights) in weighted.items():
        comparison.errors.setdefault(metric, {})[variant] = total / weights
    return comparison


def _absorb(
    comparison: VariantComparison,
    weighted: dict[tuple[str, str], tuple[float, float]],
    key: str,
    value: float,
    weight: float,
    series: list[str],
) -> None:
    """File one recorded number under chosen counts, run-level errors or per-series errors."""
    prefix, _, rest = key.partition(".")
    if not rest:
        return
    if prefix == CHOSEN:
        comparison.chosen[rest] = comparison.chosen.get(rest, 0.0) + value
        return
    if prefix not in ERROR_METRICS:
        return
    owner = _series_part(rest, series)
    if owner is None:
        total, weights = weighted.get((prefix, rest), (0.0, 0.0))
        weighted[(prefix, rest)] = (total + value * weight, weights + weight)
        return
    series_id, variant = owner
    comparison.per_series.setdefault(series_id, {}).setdefault(prefix, {})[variant] = value


def _series_part(rest: str, series: list[str]) -> tuple[str, str] | None:
    """``(series, variant)`` when ``rest`` is ``series.variant`` or ``variant.series``, else None."""
    for series_id in series:
        if rest.startswith(series_id + ".") and len(rest) > len(series_id) + 1:
            return series_id, rest[len(series_id) + 1:]
        if rest.endswith("." + series_id) and len(rest) > len(series_id) + 1:
            return series_id, rest[: -len(series_id) - 1]
    return None
