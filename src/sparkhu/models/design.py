"""Stacked design matrices of a panel: the training rows of a global model and its prediction rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sparkhu.models.features import LagFeatures, Scaled, stats_of
from sparkhu.models.panel import FloatArray, Series


@dataclass(frozen=True)
class Training:
    """Rows of every usable cut of every series: features and scaled targets."""

    features: FloatArray
    targets: FloatArray


def training_rows(features: LagFeatures, panel: Sequence[Series], horizon: int, max_cuts: int,
                  stats: Mapping[str, tuple[float, float]]) -> Training:
    """Every series' most recent ``max_cuts`` cuts (spread over the series), rows with a missing target dropped.

    Raises:
        ValueError: No series is long enough for one cut.
    """
    per_series = max(max_cuts // max(len(panel), 1), 1)
    blocks = []
    for series in panel:
        cuts = features.training_cuts(series, horizon, per_series)
        if len(cuts):
            blocks.append(features.block(series, cuts, horizon, stats_of(series, stats), with_targets=True))
    if not blocks:
        raise ValueError(f"no series is longer than the context ({features.lags} steps) plus the horizon "
                         f"({horizon} steps)")
    x = np.vstack([block.features for block in blocks])
    y = np.vstack([block.targets for block in blocks if block.targets is not None])
    keep = np.isfinite(y).all(axis=1) & np.isfinite(x).all(axis=1)
    return Training(x[keep], y[keep])


def prediction_rows(features: LagFeatures, panel: Sequence[Series], horizon: int,
                    stats: Mapping[str, tuple[float, float]]) -> Scaled:
    """One row per series at its end (the forecast origin), with each row's level and scale."""
    blocks = [features.block(series, np.array([len(series)]), horizon, stats_of(series, stats), with_targets=False)
              for series in panel]
    return Scaled(np.vstack([b.features for b in blocks]), None, np.concatenate([b.level for b in blocks]),
                  np.concatenate([b.scale for b in blocks]))


def unscale(scaled: FloatArray, rows: Scaled) -> FloatArray:
    """Scaled forecasts back in each series' units."""
    return scaled * rows.scale[:, None] + rows.level[:, None]


def covariates_of(panel: Sequence[Series]) -> tuple[str, ...]:
    """The covariate names every series of the panel has (sorted)."""
    names = [set(series.covariates) for series in panel]
    return tuple(sorted(set.intersection(*names))) if names else ()
