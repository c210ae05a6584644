"""The one place that declares every lake table: its schema, its slicing column and its partitioning.

Partitioning: time-series tables are partitioned by ``month`` (``YYYY-MM`` of their time column) and
nothing else. Partitioning by series (what the 2022 system did, with day) makes series x days tiny
files; a month partition keeps files few and large, lets range reads and retention prune whole folders,
and a slice rewrite only touches files whose ``ts`` statistics overlap the slice. The measurement behind
this choice is in ``benchmarks/partitioning`` and docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

TS_TYPE = pa.timestamp("us", tz="UTC")
MONTH = "month"


@dataclass(frozen=True)
class TableSpec:
    """Declaration of one Delta table.

    Attributes:
        name: Table name (also its folder under the lake root).
        schema: Arrow schema of the stored columns (without the derived partition column).
        time_column: Column that a task's ``[start, end)`` interval selects; None for untimed tables.
        has_series: Whether the table has a ``series_id`` column that a series selection restricts.
        partition_by_month: Whether a ``month`` partition column is derived from ``time_column``.
        description: One line for ``sparkhu tables``.
        sort_by: Order of the rows in the files (lets Parquet statistics prune reads).
        compression: Parquet codec. SNAPPY by default; ZSTD where it is both faster and smaller
            (measured on 500k ``windows`` rows of 80 floats: 0.91 s and 18 MiB against 1.68 s and 32 MiB).
    """

    name: str
    schema: pa.Schema
    time_column: str | None = "ts"
    has_series: bool = True
    partition_by_month: bool = True
    description: str = ""
    sort_by: tuple[str, ...] = field(default=("series_id", "ts"))
    compression: Literal["SNAPPY", "ZSTD", "LZ4_RAW", "UNCOMPRESSED"] = "SNAPPY"

    @property
    def stored_schema(self) -> pa.Schema:
        """Schema as stored, partition column included."""
        if not self.partition_by_month:
            return self.schema
        return self.schema.append(pa.field(MONTH, pa.string(), nullable=False))

    @property
    def partition_by(self) -> list[str]:
        """Partition columns of the table."""
        return [MONTH] if self.partition_by_month else []


def _schema(*fields: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> pa.Schema:
    """Arrow schema from ``(name, type[, nullable])`` tuples; columns are nullable unless said."""
    return pa.schema([pa.field(f[0], f[1], nullable=f[2] if len(f) > 2 else True) for f in fields])


_SERIES_POINT = (("series_id", pa.string(), False), ("ts", TS_TYPE, False), ("value", pa.float64()))
_INTERVAL = (("interval_start", TS_TYPE, False), ("interval_end", TS_TYPE, False))

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "raw",
            _schema(*_SERIES_POINT, ("source", pa.string(), False), ("file", pa.string()),
                    ("line", pa.int64()), ("ingested_at", TS_TYPE)),
            description="Points as ingested (UTC); source = content hash of the file, line = its line",
        ),
        TableSpec(
            "quarantine",
            _schema(("stage", pa.string(), False), ("source", pa.string()), ("file", pa.string()),
                    ("line", pa.int64()),
                    ("series_id", pa.string()), ("ts", TS_TYPE), ("raw_value", pa.string()),
                    ("reason", pa.string(), False), ("quarantined_at", TS_TYPE)),
            partition_by_month=False,
            description="Rejected rows with file, line and reason (ingest and validate)",
            sort_by=("stage", "source", "line"),
        ),
        TableSpec(
            "validated",
            _schema(*_SERIES_POINT, ("source", pa.string()), ("line", pa.int64()),
                    ("ingested_at", TS_TYPE)),
            description="Rows that passed validation (NaN kept: it is a marked missing value)",
        ),
        TableSpec(
            "deduplicated",
            _schema(*_SERIES_POINT, ("n_raw", pa.int32()), ("conflict", pa.bool_())),
            description="One value per (series, ts); conflicts resolved by policy",
        ),
        TableSpec(
            "stats",
            _schema(("series_id", pa.string(), False), *_INTERVAL, ("count", pa.int64()),
                    ("n_missing", pa.int64()), ("min", pa.float64()), ("max", pa.float64()),
                    ("mean", pa.float64()), ("median", pa.float64()), ("q1", pa.float64()),
                    ("q3", pa.float64()), ("std", pa.float64()), ("skewness", pa.float64()),
                    ("kurtosis", pa.float64()), ("mode", pa.float64()), ("cv", pa.float64()),
                    ("mad", pa.float64())),
            time_column="interval_start",
            description="Descriptive statistics per series and interval",
            sort_by=("series_id", "interval_start"),
        ),
        TableSpec(
            "regularity_estimates",
            _schema(("series_id", pa.string(), False), *_INTERVAL, ("window_start", TS_TYPE),
                    ("n_points", pa.int64()), ("period_seconds", pa.float64()),
                    ("is_regular", pa.bool_()), ("regular_fraction", pa.float64()),
                    ("periodic_error", pa.float64()), ("status", pa.string())),
            time_column="interval_start",
            description="Sampling-period estimate per series over the look-back window",
            sort_by=("series_id", "interval_start"),
        ),
        TableSpec(
            "regularity",
            _schema(("series_id", pa.string(), False), *_INTERVAL, ("period_seconds", pa.float64()),
                    ("is_regular", pa.bool_()), ("confidence", pa.float64()),
                    ("decided_by", pa.string()), ("declared_period_seconds", pa.float64()),
                    ("contradicts_declared", pa.bool_()), ("n_estimates", pa.int64())),
            time_column="interval_start",
            description="Decided sampling period per series",
            sort_by=("series_id", "interval_start"),
        ),
        TableSpec(
            "missing_marked",
            _schema(*_SERIES_POINT, ("is_missing", pa.bool_(), False), ("missing_kind", pa.string())),
            description="Points on the decided grid; marked and unmarked missing as explicit rows",
        ),
        TableSpec(
            "outliers",
            _schema(*_SERIES_POINT, ("is_missing", pa.bool_(), False), ("is_outlier", pa.bool_(), False),
                    ("lower_fence", pa.float64()), ("upper_fence", pa.float64())),
            description="missing_marked plus IQR outlier flags and the fences used",
        ),
        TableSpec(
            "imputed_variants",
            _schema(*_SERIES_POINT, ("variant", pa.string(), False), ("is_missing", pa.bool_(), False),
                    ("is_outlier", pa.bool_())),
            description="Each handle-missing variant's values at the points it filled (the rest is `outliers`)",
            sort_by=("variant", "series_id", "ts"),
        ),
        TableSpec(
            "selection_scores",
            _schema(("stage", pa.string(), False), ("series_id", pa.string(), False), *_INTERVAL,
                    ("candidate", pa.string(), False), ("metric", pa.string(), False), ("score", pa.float64()),
                    ("n", pa.int64())),
            time_column="interval_start",
            description="Score of every candidate per series and stage (variants, models): what pooling chooses on",
            sort_by=("stage", "series_id", "candidate"),
        ),
        TableSpec(
            "imputed",
            _schema(*_SERIES_POINT, ("is_missing", pa.bool_(), False), ("is_outlier", pa.bool_()),
                    ("method", pa.string(), False)),
            description="Pooled imputation: the variant with the lowest measured error per series",
        ),
        TableSpec(
            "decomposed",
            _schema(*_SERIES_POINT, ("is_missing", pa.bool_()), ("is_outlier", pa.bool_()),
                    ("trend", pa.float64()), ("seasonal", pa.float64()), ("residual", pa.float64()),
                    ("seasonal_periods", pa.string())),
            description="Trend + seasonal (sum of all seasonalities) + residual per point",
        ),
        TableSpec(
            "anomalies",
            _schema(*_SERIES_POINT, ("is_outlier", pa.bool_(), False), ("is_anomaly", pa.bool_(), False),
                    ("anomaly_score", pa.float64()), ("shift_score", pa.float64()), ("expected", pa.float64())),
            description="Residual anomaly flags and scores (is_anomaly: events worth attention)",
        ),
        TableSpec(
            "anomaly_variants",
            _schema(*_SERIES_POINT, ("variant", pa.string(), False)),
            description="Each handle-anomalies variant's values at the points it handled (the rest is `anomalies`)",
            sort_by=("variant", "series_id", "ts"),
        ),
        TableSpec(
            "cleaned",
            _schema(*_SERIES_POINT, ("method", pa.string(), False)),
            description="Pooled anomaly handling: the cleaned series fed to normalization",
        ),
        TableSpec(
            "scalers",
            _schema(("series_id", pa.string(), False), *_INTERVAL, ("method", pa.string(), False),
                    ("center", pa.float64()), ("scale", pa.float64()), ("train_start", TS_TYPE),
                    ("train_end", TS_TYPE), ("n_train", pa.int64())),
            time_column="interval_start",
            description="Scaler parameters fitted on the training window only: x' = (x - center) / scale",
            sort_by=("series_id", "interval_start"),
        ),
        TableSpec(
            "normalized",
            _schema(*_SERIES_POINT, ("method", pa.string(), False)),
            description="Normalized cleaned series (invert with the scalers table)",
        ),
        TableSpec(
            "windows",
            _schema(("series_id", pa.string(), False), ("ts", TS_TYPE, False),
                    ("input_length", pa.int32(), False), ("output_length", pa.int32(), False),
                    ("inputs", pa.list_(pa.float32())), ("outputs", pa.list_(pa.float32())),
                    ("has_missing", pa.bool_(), False), ("method", pa.string())),
            description="Feature store: sliding windows keyed by (series, T, N, ts = first output step)",
            sort_by=("series_id", "input_length", "output_length", "ts"),
            compression="ZSTD",
        ),
        TableSpec(
            "correlations",
            _schema(("group", pa.string(), False), *_INTERVAL, ("series_a", pa.string(), False),
                    ("series_b", pa.string(), False), ("n", pa.int64()), ("pearson", pa.float64()),
                    ("spearman", pa.float64()), ("diff_corr", pa.float64()), ("best_lag_s", pa.float64()),
                    ("best_lag_corr", pa.float64()), ("p_value", pa.float64()), ("grid_s", pa.float64()),
                    ("interval", pa.string()), ("note", pa.string())),
            time_column="interval_start",
            has_series=False,
            description="Candidate pairs of a series group over the look-back: correlation, best lag (a leads b "
                        "when > 0, seconds), its p-value; note = why a pair is not comparable",
            sort_by=("group", "interval_start", "series_a", "series_b"),
        ),
        TableSpec(
            "model_choices",
            _schema(("group", pa.string(), False), *_INTERVAL, ("family", pa.string(), False),
                    ("name", pa.string()), ("params", pa.string()), ("score", pa.float64()), ("trials", pa.int64()),
                    ("points", pa.int64()), ("tuner", pa.string()), ("mlflow_run_id", pa.string()),
                    ("tuned_at", TS_TYPE)),
            time_column="interval_start",
            has_series=False,
            description="The configuration tuning chose per series group (validation score, trials, MLflow run)",
            sort_by=("group", "interval_start"),
        ),
        TableSpec(
            "fusion",
            _schema(("group", pa.string(), False), *_INTERVAL, ("series_id", pa.string(), False),
                    ("partners", pa.string()), ("leads_s", pa.string()), ("used", pa.bool_(), False),
                    ("alone_model", pa.string()), ("fused_model", pa.string()), ("validation_alone", pa.float64()),
                    ("validation_fused", pa.float64()), ("holdout_mae_alone", pa.float64()),
                    ("holdout_mae_fused", pa.float64()), ("gain", pa.float64()), ("run_id", pa.string()),
                    ("note", pa.string())),
            time_column="interval_start",
            has_series=False,
            description="Per target of a group: its leading partners, whether validation chose the fused model, "
                        "held-out MAE alone and fused (gain = 1 - fused/alone), the MLflow run",
            sort_by=("group", "interval_start", "series_id"),
        ),
        TableSpec(
            "forecasts",
            _schema(*_SERIES_POINT, ("lo", pa.float64()), ("hi", pa.float64()), ("model_name", pa.string()),
                    ("model_version", pa.int64()), ("run_id", pa.string()), ("issued_at", TS_TYPE, False)),
            time_column="issued_at",
            description="The champion's forecasts per series: value and interval (lo, hi) for each future ts",
            sort_by=("series_id", "issued_at", "ts"),
        ),
        TableSpec(
            "reports",
            _schema(("task", pa.string(), False), *_INTERVAL, ("shard", pa.string(), False),
                    ("variant", pa.string()),
                    ("run_id", pa.string()), ("status", pa.string()), ("n_series", pa.int64()),
                    ("parameters", pa.string()), ("counts", pa.string()), ("metrics", pa.string()),
                    ("started_at", TS_TYPE), ("duration_s", pa.float64())),
            time_column="interval_start",
            has_series=False,
            description="One row per task run: parameters, counts, metrics, duration (JSON)",
            sort_by=("task", "interval_start"),
        ),
    )
}


def table_spec(name: str) -> TableSpec:
    """The declaration of ``name``; ``KeyError`` lists the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}") from None
