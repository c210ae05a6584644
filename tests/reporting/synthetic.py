"""A small synthetic lake with every table a report draws on, written with Lake.replace."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sparkhu.analysis.describe import describe
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.tables import TABLES

START = pd.Timestamp("2024-03-01", tz="UTC")
END = pd.Timestamp("2024-03-03", tz="UTC")
RUN_ID = "3f2a9c1e-0000-4000-8000-000000000001"
OLD_RUN_ID = "0b7d5e21-0000-4000-8000-000000000002"
SERIES = ("plant.flow", "plant.temperature")
GAP = slice(600, 630)  # a 30-minute outage (unmarked missing)
SPIKES = (200, 1500, 2500)  # planted spikes: outliers; the first two are also anomalies
ANOMALY_SCORES = (9.5, 7.25)
VARIANT_MAE = {"linear": 0.11, "locf": 0.42, "spline": 0.13, "seasonal": 0.2}
FORECAST_SERIES = SERIES[0]  # the other series has no forecast
FORECAST_STEPS = 360
FORECAST_MODEL = "ridge(lags=48)"
FORECAST_ISSUES = ((START, 2), (START + pd.Timedelta(days=1), 3))  # (issued_at, model version); the last is latest
#: Pairs of the ``correlations`` table: (group, a, b, diff_corr, best_lag_s, best_lag_corr, p_value, note).
PAIRS = (
    ("plant", "plant.flow", "plant.temperature", 0.62, 10_800.0, 0.71, 1e-12, ""),  # flow leads by 3 h
    ("plant", "plant.flow", "plant.pressure", -0.4, -1_800.0, -0.45, 0.001, ""),  # pressure leads by 30 min
    ("plant", "plant.pressure", "plant.temperature", 0.05, 0.0, 0.06, 0.3, ""),  # not significant
    ("plant", "plant.flow", "plant.valve", None, None, None, None, "series b is constant on the common grid"),
    ("plant", "plant.meter", "plant.temperature", None, None, None, None,
     "only 0 common grid points (at least 8 needed)"),
    ("site", "site.a", "site.b", 0.3, 7_200.0, 0.35, 0.01, ""),
)


@dataclass(frozen=True)
class Truth:
    """What the synthetic lake holds, for known-answer assertions."""

    points_per_series: int
    n_missing: int
    n_outliers: int
    n_anomalies: int


def grid(series_id: str, offset: float) -> pd.DataFrame:
    ts = pd.date_range(START, END, freq="1min", inclusive="left")
    minutes = np.arange(len(ts))
    trend = offset + minutes / 1000.0
    seasonal = 3.0 * np.sin(2 * np.pi * minutes / 1440)
    residual = np.random.default_rng(len(series_id)).normal(0, 0.1, len(ts))
    residual[list(SPIKES)] += 12.0
    frame = pd.DataFrame({"series_id": series_id, "ts": ts, "value": trend + seasonal + residual,
                          "trend": trend, "seasonal": seasonal, "residual": residual})
    frame["is_missing"] = False
    frame.loc[frame.index[GAP], "is_missing"] = True
    frame.loc[frame["is_missing"], "value"] = np.nan
    return frame


def point_tables(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    series_id = frame["series_id"].iloc[0]
    base = frame[["series_id", "ts", "value"]]
    spikes = frame.index.isin(SPIKES)
    anomalous = frame.index.isin(SPIKES[:2])
    scores = np.zeros(len(frame))
    scores[list(SPIKES[:2])] = ANOMALY_SCORES
    filled = frame["value"].interpolate()
    return {
        "deduplicated": base[~frame["is_missing"]].assign(n_raw=1, conflict=False),
        "missing_marked": base.assign(is_missing=frame["is_missing"],
                                      missing_kind=frame["is_missing"].map({True: "unmarked", False: None})),
        "outliers": base.assign(is_missing=frame["is_missing"], is_outlier=spikes, lower_fence=-6.0, upper_fence=9.0),
        "imputed_variants": pd.concat([base.assign(value=filled, variant=v, is_missing=frame["is_missing"])
                                       for v in VARIANT_MAE]),
        "imputed": base.assign(value=filled, is_missing=frame["is_missing"], is_outlier=spikes, method="linear"),
        "decomposed": base.assign(value=filled, trend=frame["trend"], seasonal=frame["seasonal"],
                                  residual=filled - frame["trend"] - frame["seasonal"], seasonal_periods="1440"),
        "anomalies": base.assign(value=filled, is_outlier=spikes, is_anomaly=anomalous, anomaly_score=scores,
                                 expected=frame["trend"] + frame["seasonal"]),
        "cleaned": base.assign(value=frame["trend"] + frame["seasonal"], method=f"expected-{series_id[-4:]}"),
    }


def series_rows(series_id: str) -> dict[str, pd.DataFrame]:
    interval = {"series_id": [series_id], "interval_start": [START], "interval_end": [END]}
    return {
        "regularity": pd.DataFrame({**interval, "period_seconds": [60.0], "is_regular": [True], "confidence": [0.98],
                                    "decided_by": ["estimate"], "declared_period_seconds": [None],
                                    "contradicts_declared": [False], "n_estimates": [2]}),
        "scalers": pd.DataFrame({**interval, "method": ["z-score"], "center": [10.5], "scale": [2.25],
                                 "train_start": [START], "train_end": [START + pd.Timedelta(days=1)],
                                 "n_train": [1440]}),
        "windows": pd.DataFrame({"series_id": series_id, "ts": START + pd.to_timedelta(np.arange(5) * 60, "s"),
                                 "input_length": 24, "output_length": 1, "inputs": [[0.0] * 24] * 5,
                                 "outputs": [[0.0]] * 5, "has_missing": [False, False, True, False, False],
                                 "method": "z-score"}),
    }


def forecast_rows(series_id: str, offset: float) -> pd.DataFrame:
    """Every issue of one series' forecasts: one-minute steps from the end of each issue's day, a 2-wide band."""
    issues = []
    for issued_at, version in FORECAST_ISSUES:
        ts = issued_at + pd.Timedelta(days=1) + pd.to_timedelta(np.arange(FORECAST_STEPS), "min")
        minutes = (ts - START) / pd.Timedelta(minutes=1)
        value = offset + minutes / 1000.0 + 3.0 * np.sin(2 * np.pi * minutes / 1440)
        issues.append(pd.DataFrame({"series_id": series_id, "ts": ts, "value": value, "lo": value - 1.0,
                                    "hi": value + 1.0, "model_name": FORECAST_MODEL, "model_version": version,
                                    "run_id": f"mlflow-run-{version}", "issued_at": issued_at}))
    return pd.concat(issues, ignore_index=True)


#: Plots the relations section draws from :data:`PAIRS` (heat-maps of both groups, the lead-lag chart).
RELATION_PLOTS = ("plot-relations-1-heatmap", "plot-relations-2-heatmap", "plot-relations-lead-lag") \
    if "correlations" in TABLES else ()


def correlation_rows(pairs: tuple[tuple[object, ...], ...] = PAIRS) -> pd.DataFrame:
    """Rows of the ``correlations`` table for ``pairs`` over the synthetic interval, on a one-minute grid."""
    frame = pd.DataFrame(list(pairs), columns=["group", "series_a", "series_b", "diff_corr", "best_lag_s",
                                               "best_lag_corr", "p_value", "note"])
    measured = frame["note"].eq("")
    return frame.assign(
        interval_start=START, interval_end=END, n=np.where(measured, 2880, 0),
        pearson=frame["diff_corr"].astype(float) + 0.2, spearman=frame["diff_corr"].astype(float) + 0.15,
        grid_s=60.0, interval=f"{START.isoformat()}/{END.isoformat()}", note=frame["note"].where(~measured))


#: Targets of the ``fusion`` table: (group, target, partners, leads_s, used, validation alone and fused, held-out
#: MAE alone and fused, note); alone the best model is ``ridge``, with partners ``ridge+partners``.
FUSION = (
    ("plant", "plant.temperature", "plant.flow,plant.pressure", "10800,1800", True, 0.9, 0.31, 2.0, 0.52, ""),
    ("plant", "plant.flow", "plant.pressure", "1800.0", False, 0.5, 0.55, 1.0, 1.05, ""),
    ("river", "river.x", "", "", False, 0.7, None, 3.0, None, "no significant leading partner"),
)
#: Plots the fusion section draws from :data:`FUSION` (one per target with partners, in table order).
FUSION_PLOTS = ("plot-fusion-1-mae", "plot-fusion-2-mae") if "fusion" in TABLES else ()


def fusion_rows(targets: tuple[tuple[object, ...], ...] = FUSION) -> pd.DataFrame:
    """Rows of the ``fusion`` table for ``targets`` over the synthetic interval."""
    frame = pd.DataFrame(list(targets), columns=["group", "series_id", "partners", "leads_s", "used",
                                                 "validation_alone", "validation_fused", "holdout_mae_alone",
                                                 "holdout_mae_fused", "note"])
    fused = frame["partners"].ne("")
    alone, with_partners = frame["holdout_mae_alone"].astype(float), frame["holdout_mae_fused"].astype(float)
    return frame.assign(
        interval_start=START, interval_end=END, alone_model="ridge", fused_model=np.where(fused, "ridge+partners", ""),
        gain=1.0 - with_partners / alone, run_id=[f"mlflow-fusion-{i}" for i in range(len(frame))],
        holdout_mae_fused=with_partners, validation_fused=frame["validation_fused"].astype(float))


def report_rows() -> pd.DataFrame:
    pool_metrics = {f"mae.{v}": e for v, e in VARIANT_MAE.items()}
    pool_metrics |= {f"mae.plant.temperature.{v}": e * 2 for v, e in VARIANT_MAE.items()}
    rows = [
        ("describe", RUN_ID, 0, {"rows_in": 5700, "rows_out": 2}, {}, 0.25),
        ("detect-missing", RUN_ID, 1, {"rows_in": 5700, "rows_out": 5760, "unmarked": 60}, {}, 0.5),
        ("pool-missing", RUN_ID, 2, {"rows_in": 23040, "rows_out": 5760, "chosen.linear": 2}, pool_metrics, 1.5),
        ("describe", OLD_RUN_ID, -5, {"rows_in": 10, "rows_out": 1}, {}, 9.0),
    ]
    return pd.DataFrame([
        {"task": task, "interval_start": START, "interval_end": END, "shard": "0/1", "run_id": run,
         "status": "succeeded", "n_series": 2, "parameters": "{}", "counts": json.dumps(counts),
         "metrics": json.dumps(metrics),
         "started_at": pd.Timestamp("2024-03-04 06:00", tz="UTC") + pd.Timedelta(minutes=minute), "duration_s": dur}
        for task, run, minute, counts, metrics, dur in rows
    ])


def populate(lake: Lake, tables: tuple[str, ...] | None = None) -> Truth:
    """Write the synthetic tables (only ``tables`` when given) and return the planted truth."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for index, series_id in enumerate(SERIES):
        frame = grid(series_id, 10.0 * (index + 1))
        for name, rows in (point_tables(frame) | series_rows(series_id)).items():
            frames.setdefault(name, []).append(rows)
        if series_id == FORECAST_SERIES:
            frames["forecasts"] = [forecast_rows(series_id, 10.0 * (index + 1))]
        validated = frame.loc[~frame["is_missing"], ["series_id", "ts", "value"]]
        stats = describe(validated).assign(interval_start=START, interval_end=END)
        frames.setdefault("stats", []).append(stats)
    frames["reports"] = [report_rows()]
    if "correlations" in TABLES:  # declared by the correlate task
        frames["correlations"] = [correlation_rows()]
    if "fusion" in TABLES:  # declared by the fuse task
        frames["fusion"] = [fusion_rows()]
    for name, parts in frames.items():
        if tables is None or name in tables:
            lake.replace(name, pd.concat(parts, ignore_index=True), Slice(START, END) if name != "reports" else Slice())
    n = len(grid(SERIES[0], 0.0))
    return Truth(points_per_series=n, n_missing=GAP.stop - GAP.start, n_outliers=len(SPIKES), n_anomalies=2)
