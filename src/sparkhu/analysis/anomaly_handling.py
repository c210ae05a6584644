"""What to do with anomalous points: handler variants in one registry, and pooling by measured effect.

Every variant is a function of one series (:class:`SeriesView`) registered under its name with
:func:`register_handler`; :func:`handle_anomalies` runs any of them over many series. Only flagged points
change. Built in:

* ``keep``: leave the values as they are (the reference);
* ``replace_expected``: the expected value of the decomposition (trend + seasonal);
* ``ema``: the exponential moving average (the seed's window 10, alpha 2/11) of the *preceding
  non-anomalous* points — the anomaly itself never enters its own replacement (the seed's EMA did);
* ``clip``: clipped to the series' fences (given, e.g. the IQR outlier step's; else
  ``Q1 - 3·IQR, Q3 + 3·IQR`` of the series' own values).

Pooling: :func:`score_handlers` measures each variant per series by the one-step-ahead error of an EMA
forecaster run on the cleaned series, over the ``horizon`` points after each anomaly (anomalies
themselves are not targets: there each variant would grade its own replacement). Those targets are the
same real values for every variant, so the errors compare how much each variant lets an anomaly disturb
what follows. :func:`choose_handlers` keeps the lowest error per series (:mod:`sparkhu.selection`), and
since a handler only changes flagged points, :func:`handled_points` keeps just those rows of each
variant; :func:`sparkhu.selection.overlay` writes the chosen ones back over the series.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sparkhu.analysis._columns import FloatArray, float_values
from sparkhu.analysis._segments import Segments, split_series
from sparkhu.analysis.outliers import DEFAULT_K, series_fences
from sparkhu.frame import LONG_COLUMNS, SERIES, TS, VALUE, require_columns
from sparkhu.selection import CANDIDATE, COUNT, SCORE, choose, empty_scores

#: The seed's EMA: window 10, alpha = 2 / (10 + 1).
EMA_ALPHA = 2 / 11
#: Points after each anomaly on which the variants' forecasts are compared.
HORIZON = 12
#: Fence width in IQRs when no fences are given (the outlier step's default).
FENCE_K = DEFAULT_K
HANDLED_COLUMNS = ("raw_value", "variant")

BoolArray = npt.NDArray[np.bool_]
Fences = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class SeriesView:
    """One series as a handler sees it.

    Attributes:
        series_id: Its id.
        values: Values on the regular grid (NaN where missing).
        flags: Points to handle.
        expected: Trend + seasonal per point.
        fences: Lower and upper fence, or None when none were given.

    """

    series_id: str
    values: FloatArray
    flags: BoolArray
    expected: FloatArray
    fences: tuple[float, float] | None


Handler = Callable[[SeriesView], FloatArray]
HANDLERS: dict[str, Handler] = {}


def register_handler(name: str) -> Callable[[Handler], Handler]:
    """Decorator registering a handler variant under ``name`` (an existing name is an error).

    Args:
        name: The variant's name, as tasks and reports use it.

    Returns:
        The decorator, which returns the function unchanged.

    """

    def add(handler: Handler) -> Handler:
        if name in HANDLERS:
            raise ValueError(f"handler variant {name!r} is already registered")
        HANDLERS[name] = handler
        return handler

    return add


@register_handler("keep")
def _keep(view: SeriesView) -> FloatArray:
    """The values unchanged."""
    return view.values.copy()


@register_handler("replace_expected")
def _replace_expected(view: SeriesView) -> FloatArray:
    """Flagged points take the expected value (trend + seasonal)."""
    return np.where(view.flags, view.expected, view.values)


@register_handler("ema")
def _ema(view: SeriesView) -> FloatArray:
    """Flagged points take the EMA of the preceding non-anomalous points (the expected value if none)."""
    usable = ~view.flags & np.isfinite(view.values)
    before = ema_before(view.values, usable)
    replacement = np.where(np.isfinite(before), before, view.expected)
    return np.where(view.flags, replacement, view.values)


@register_handler("clip")
def _clip(view: SeriesView) -> FloatArray:
    """Flagged points clipped to the fences (given, else ``Q1 - 3·IQR``, ``Q3 + 3·IQR`` of the series)."""
    low, high = view.fences if view.fences is not None else series_fences(view.values, FENCE_K)
    return np.where(view.flags, np.clip(view.values, low, high), view.values)


def handle_anomalies(
    frame: pd.DataFrame, variant: str, *, flag_column: str = "is_anomaly", fences: Fences | None = None
) -> pd.DataFrame:
    """Apply one handler variant to every series.

    Args:
        frame: Long frame with series_id, ts, value, ``expected`` and the flag column (e.g. the output of
            :func:`~sparkhu.analysis.anomalies.detect_anomalies`), a regular grid per series.
        variant: A registered variant name (see :data:`HANDLERS`).
        flag_column: Boolean column of the points to handle.
        fences: Per series ``(low, high)`` for ``clip``; series without fences use their own IQR fences.

    Returns:
        The rows sorted by series_id and ts with ``value`` handled, ``raw_value`` (the value before) and
        ``variant``.

    Raises:
        ValueError: If the variant is unknown or a column is missing.

    """
    arrays = _Arrays.of(frame, flag_column)
    out = arrays.segments.frame.copy()
    out["raw_value"] = arrays.values
    out[VALUE] = arrays.handled(variant, fences)
    out["variant"] = pd.Series([variant] * len(out), dtype="string")
    return out


@dataclass(frozen=True)
class _Arrays:
    """A frame split into series once, as the arrays every handler and the scoring read."""

    segments: Segments
    values: FloatArray
    expected: FloatArray
    flags: BoolArray

    @classmethod
    def of(cls, frame: pd.DataFrame, flag_column: str) -> _Arrays:
        require_columns(frame, [*LONG_COLUMNS, "expected", flag_column])
        segments = split_series(frame)
        flags = segments.frame[flag_column].astype("boolean").fillna(False).to_numpy(dtype=bool)
        return cls(segments, float_values(segments.frame[VALUE]), float_values(segments.frame["expected"]), flags)

    def handled(self, variant: str, fences: Fences | None) -> FloatArray:
        """The values after ``variant`` handled every series' flagged points."""
        if variant not in HANDLERS:
            raise ValueError(f"unknown anomaly handler {variant!r}; registered: {sorted(HANDLERS)}")
        handled = self.values.copy()
        for series_id, first, stop in self.segments.ranges():
            part = slice(first, stop)
            view = SeriesView(series_id, self.values[part], self.flags[part], self.expected[part],
                              (fences or {}).get(series_id))
            handled[part] = HANDLERS[variant](view)
        return handled

    def scores(self, handled: FloatArray, variant: str, scored: BoolArray, horizon: int) -> list[dict[str, object]]:
        """Score rows of one variant: each series' forecast error on its ``scored`` rows."""
        rows: list[dict[str, object]] = []
        for series_id, first, stop in self.segments.ranges():
            keep = scored[first:stop]
            mae, count = forecast_error(handled[first:stop][keep], self.flags[first:stop][keep], horizon)
            rows.append({SERIES: series_id, CANDIDATE: variant, SCORE: mae, COUNT: count})
        return rows


def handled_points(frame: pd.DataFrame, variants: Sequence[str], *, flag_column: str = "is_anomaly",
                   fences: Fences | None = None, since: object | None = None,
                   horizon: int = HORIZON) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every variant's values at the flagged points (the only ones a handler changes) and its scores.

    The frame is split into series once for all variants.

    Args:
        frame: As for :func:`handle_anomalies`.
        variants: Registered variant names.
        flag_column: Boolean column of the points to handle.
        fences: Per series ``(low, high)`` for ``clip``.
        since: Only rows at or after this instant are returned and scored (earlier rows are context:
            the EMA's history); None: every row.
        horizon: Points after each flagged point that are forecast targets (see :func:`score_handlers`).

    Returns:
        ``(points, scores)``: series_id, ts, value and ``candidate`` of the flagged rows of every
        variant, and the :mod:`~sparkhu.selection` score table (as :func:`score_handlers`).
    """
    arrays = _Arrays.of(frame, flag_column)
    ts = arrays.segments.frame[TS]
    inside = np.ones(len(ts), dtype=bool) if since is None else (ts >= pd.Timestamp(since)).to_numpy(dtype=bool)
    taken = arrays.flags & inside
    keys = arrays.segments.frame.loc[taken, [SERIES, TS]].reset_index(drop=True)
    parts, rows = [], []
    for variant in variants:
        handled = arrays.handled(variant, fences)
        parts.append(keys.assign(**{VALUE: handled[taken],
                                    CANDIDATE: pd.Series(variant, index=keys.index, dtype="string")}))
        rows += arrays.scores(handled, variant, inside, horizon)
    points = pd.concat(parts, ignore_index=True) if parts else _empty_points()
    return points, _score_table(rows)


def _empty_points() -> pd.DataFrame:
    return pd.DataFrame({SERIES: pd.Series(dtype="string"), TS: pd.Series(dtype="datetime64[us, UTC]"),
                         VALUE: pd.Series(dtype="float64"), CANDIDATE: pd.Series(dtype="string")})


def _score_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Score rows as a typed :mod:`~sparkhu.selection` score table."""
    if not rows:
        return empty_scores()
    table = pd.DataFrame(rows, columns=[SERIES, CANDIDATE, SCORE, COUNT])
    return table.astype({SERIES: "string", CANDIDATE: "string", SCORE: "float64", COUNT: "int64"})


def ema_before(values: FloatArray, usable: BoolArray, alpha: float = EMA_ALPHA) -> FloatArray:
    """At every position, the EMA of the usable points strictly before it (NaN before the first).

    Args:
        values: One series.
        usable: Points that may enter the average.
        alpha: Smoothing factor (the EMA starts at the first usable value).

    Returns:
        The EMA as of the previous position.

    """
    positions = np.flatnonzero(usable)
    result = np.full(len(values), np.nan)
    if not len(positions):
        return result
    kept = values[positions]
    # y[k] = alpha·x[k] + (1 - alpha)·y[k - 1], started so that y[0] = x[0]: pandas' unadjusted EMA (the
    # same recursion as scipy.signal.lfilter, without importing scipy.signal: 1.1 s in every worker).
    ema = pd.Series(kept).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    # Each position sees the EMA up to the last usable point before it.
    latest = np.searchsorted(positions, np.arange(len(values)), side="left") - 1
    result[latest >= 0] = ema[latest[latest >= 0]]
    return result



def score_handlers(
    handled: Mapping[str, pd.DataFrame], *, flag_column: str = "is_anomaly", horizon: int = HORIZON
) -> pd.DataFrame:
    """One-step-ahead EMA forecast error of every variant on the points after the anomalies.

    Args:
        handled: Variant name to the output of :func:`handle_anomalies` for that variant (same rows).
        flag_column: The flag column the variants handled.
        horizon: Points after each anomaly that are forecast targets (anomalies themselves excluded).

    Returns:
        A :mod:`~sparkhu.selection` score table: series_id, candidate (the variant), score (the MAE;
        NaN when the series has no target point) and n (targets).

    """
    rows: list[dict[str, object]] = []
    for variant, frame in handled.items():
        segments = split_series(frame)
        values = float_values(segments.frame[VALUE])
        flags = segments.frame[flag_column].astype("boolean").fillna(False).to_numpy(dtype=bool)
        for series_id, first, stop in segments.ranges():
            mae, count = forecast_error(values[first:stop], flags[first:stop], horizon)
            rows.append({SERIES: series_id, CANDIDATE: variant, SCORE: mae, COUNT: count})
    return _score_table(rows)


def forecast_error(values: FloatArray, flags: BoolArray, horizon: int = HORIZON) -> tuple[float, int]:
    """Mean absolute one-step EMA forecast error on the ``horizon`` points after each flagged point.

    Args:
        values: The cleaned series.
        flags: Its anomalies (never targets themselves).
        horizon: Points after each anomaly that are targets.

    Returns:
        ``(mae, number of targets)``; NaN and 0 when there is no target.

    """
    finite = np.isfinite(values)
    forecast = ema_before(values, finite)
    targets = _after_flags(flags, horizon) & ~flags & finite & np.isfinite(forecast)
    if not targets.any():
        return float("nan"), 0
    return float(np.mean(np.abs(values[targets] - forecast[targets]))), int(targets.sum())


def choose_handlers(scores: pd.DataFrame, preference: Sequence[str] = ("keep",)) -> pd.DataFrame:
    """Per series, the variant with the lowest error (:func:`sparkhu.selection.choose`).

    Args:
        scores: Output of :func:`score_handlers`.
        preference: Variants that win ties (in this order) and that a series without any measured error
            gets (the first one; ``keep``: with nothing measured there is nothing to gain by changing data).

    Returns:
        series_id, chosen, score: one row per series, sorted by series_id.

    """
    return choose(scores, preference, preference[0])


def _after_flags(flags: BoolArray, horizon: int) -> BoolArray:
    """Points within ``horizon`` samples after a flagged point."""
    counts = np.cumsum(np.concatenate(([0], flags.astype(np.int64))))
    positions = np.arange(len(flags))
    # Flags in [t - horizon, t - 1]: difference of prefix counts.
    return (counts[positions] - counts[np.maximum(positions - horizon, 0)]) > 0
