"""The section of one series: key facts, the overlay plot, the decomposition, imputation and statistics."""

from __future__ import annotations

import pandas as pd

from sparkhu.reporting.bar_plots import bars_svg
from sparkhu.reporting.data import ReportData
from sparkhu.reporting.decomposition_plot import decomposition_svg
from sparkhu.reporting.downsample import PLOT_BUCKETS
from sparkhu.reporting.formatting import MISSING, instant, number, period
from sparkhu.reporting.layers import Forecast, SeriesLayers, build_layers, date_numbers, flagged, main_method
from sparkhu.reporting.model import Block, Plot, SeriesSection, TableView
from sparkhu.reporting.run_blocks import STAT_COLUMNS
from sparkhu.reporting.series_plot import series_svg
from sparkhu.reporting.variants import VariantComparison

#: Intervals shown side by side in a series' statistics table (the latest ones).
STAT_INTERVALS = 7


def series_section(index: int, series_id: str, data: ReportData, imputation: VariantComparison | None) -> SeriesSection:
    """Build the section of ``series_id`` (the ``index``-th plotted series)."""
    anchor = f"series-{index}"
    tables = data.series_tables(series_id)
    if data.source is None or tables[data.source].empty:
        return SeriesSection(series_id, anchor, (), (), notes=("No points of this series in the interval.",))
    layers = build_layers(tables, data.source, _pixel(tables[data.source]), data.of_series("forecasts", series_id))
    blocks = [Block("Series", Plot(f"plot-{anchor}-series", "series", series_svg(layers, series_id,
                                                                                   f"plot-{anchor}-series")))]
    blocks += _decomposition(anchor, series_id, tables)
    blocks += _imputation(anchor, main_method(tables.get("imputed")), imputation, series_id)
    return SeriesSection(series_id, anchor, _facts(series_id, layers, tables, data), tuple(blocks),
                         _statistics(data.of_series("stats", series_id)))


def _pixel(line: pd.DataFrame) -> float:
    """One pixel column of the plot in date numbers."""
    x = date_numbers(line["ts"])
    return float(x[-1] - x[0]) / PLOT_BUCKETS if len(x) > 1 else 0.0


def _decomposition(anchor: str, series_id: str, tables: dict[str, pd.DataFrame]) -> list[Block]:
    decomposed = tables.get("decomposed")
    if decomposed is None or decomposed.empty:
        return []
    key = f"plot-{anchor}-decomposition"
    periods = ", ".join(sorted({str(p) for p in decomposed["seasonal_periods"].dropna()})) or MISSING
    svg = decomposition_svg(decomposed, flagged(tables.get("anomalies"), "is_anomaly"), series_id, key)
    return [Block("Decomposition", Plot(key, "decomposition", svg), notes=(f"Seasonal periods: {periods}.",))]


def _imputation(anchor: str, chosen: str | None, comparison: VariantComparison | None, series_id: str) -> list[Block]:
    errors = comparison.series_errors(series_id) if comparison is not None else {}
    if not errors and chosen is None:
        return []
    note = f"Chosen method: {chosen}." if chosen else "No pooled imputation recorded for this series."
    if not errors:
        return [Block("Imputation", notes=(note + " Per-variant errors over all series: see Imputation comparison.",))]
    key = f"plot-{anchor}-imputation"
    svg = bars_svg(errors, f"{series_id}: imputation error per variant", "error on hidden points", key, chosen)
    return [Block("Imputation", Plot(key, "imputation comparison", svg), notes=(note,))]


def _statistics(stats: pd.DataFrame | None) -> TableView | None:
    """The series' statistics, one column per interval (the latest few)."""
    if stats is None or stats.empty:
        return None
    latest = stats.sort_values("interval_start", kind="stable").tail(STAT_INTERVALS)
    columns = ("statistic", *(instant(start) for start in latest["interval_start"]))
    rows = tuple((name, *(number(value) for value in latest[name])) for name in STAT_COLUMNS)
    return TableView(columns, rows)


def _facts(series_id: str, layers: SeriesLayers, tables: dict[str, pd.DataFrame],
           data: ReportData) -> tuple[tuple[str, str], ...]:
    """Short labelled facts about the series, each only when its table exists."""
    facts = [("points", f"{len(layers.line):,} from `{layers.source}`")]
    grid = tables.get("missing_marked")
    if grid is not None:
        kinds = grid.loc[grid["is_missing"].astype(bool), "missing_kind"].fillna("unknown").value_counts()
        detail = ", ".join(f"{kind} {count:,}" for kind, count in kinds.items())
        facts.append(("missing", f"{layers.n_missing:,}" + (f" ({detail})" if detail else "")))
    facts += _regularity_fact(data.of_series("regularity", series_id))
    if layers.outliers is not None:
        facts.append(("outliers", f"{len(layers.outliers):,}"))
    facts += _anomaly_fact(layers)
    facts += _method_fact("imputation", tables.get("imputed"))
    facts += _method_fact("anomaly handling", tables.get("cleaned"))
    facts += _scaler_fact(data.of_series("scalers", series_id))
    facts += _windows_fact(data.of_series("windows", series_id))
    facts += _forecast_fact(layers.forecast)
    return tuple(facts)


def _regularity_fact(rows: pd.DataFrame | None) -> list[tuple[str, str]]:
    if rows is None or rows.empty:
        return []
    latest = rows.sort_values("interval_start", kind="stable").iloc[-1]
    regular = "regular" if latest["is_regular"] else "irregular"
    return [("sampling", f"{period(latest['period_seconds'])}, {regular}, confidence {number(latest['confidence'])}")]


def _anomaly_fact(layers: SeriesLayers) -> list[tuple[str, str]]:
    if layers.anomalies is None or layers.scores is None:
        return []
    top = number(float(pd.Series(layers.scores).max())) if len(layers.scores) else MISSING
    return [("anomalies", f"{len(layers.anomalies):,} (highest score {top})")]


def _method_fact(label: str, rows: pd.DataFrame | None) -> list[tuple[str, str]]:
    method = main_method(rows)
    return [] if method is None else [(label, method)]


def _scaler_fact(rows: pd.DataFrame | None) -> list[tuple[str, str]]:
    if rows is None or rows.empty:
        return []
    latest = rows.sort_values("interval_start", kind="stable").iloc[-1]
    window = f"{instant(latest['train_start'])} → {instant(latest['train_end'])}"
    return [("scaler", f"{latest['method']}: center {number(latest['center'])}, scale {number(latest['scale'])}, "
                       f"fitted on {window} ({number(latest['n_train'])} points)")]


def _windows_fact(rows: pd.DataFrame | None) -> list[tuple[str, str]]:
    if rows is None or rows.empty:
        return []
    sizes = rows.groupby(["input_length", "output_length"])["has_missing"].agg(["size", "sum"])
    parts = [f"T={t}, N={n}: {int(r['size']):,} ({int(r['sum']):,} with missing)" for (t, n), r in sizes.iterrows()]
    return [("windows", "; ".join(parts))]


def _forecast_fact(forecast: Forecast | None) -> list[tuple[str, str]]:
    if forecast is None:
        return []
    steps = len(forecast.points)
    return [("forecast", f"{steps:,} step{'s' if steps != 1 else ''} from {instant(forecast.first)} "
                         f"by {forecast.model_label}")]
