"""Cross-series imputation with known answers: a gap of a series that is a linear function of a partner."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.analysis._grid import sorted_grid
from sparkhu.analysis.partner_imputation import (
    MAX_SERIES,
    fill_from_partners,
    instant_groups,
    partner_ranking,
)

STAMPS = pd.date_range("2026-01-01", periods=600, freq="1h", tz="UTC")


def frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"series_id": name, "ts": STAMPS, "value": values})
                      for name, values in columns.items()], ignore_index=True).astype({"series_id": "string"})


def fill(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    grid = sorted_grid(frame(columns))
    fallback = np.where(np.isnan(grid.values), -999.0, grid.values)
    return fill_from_partners(grid, fallback), grid.ids, grid.codes


def test_a_gap_of_a_linear_function_of_a_partner_is_filled_exactly() -> None:
    partner = np.cumsum(np.random.default_rng(0).normal(size=600))
    target = 2.0 * partner + 1.0
    truth = target.copy()
    target[300:320] = np.nan
    noise = np.random.default_rng(1).normal(size=600).cumsum()
    filled, ids, codes = fill({"target": target, "partner": partner, "noise": noise})
    values = filled[codes == list(ids).index("target")]
    np.testing.assert_allclose(values[300:320], truth[300:320], atol=0.05)  # the ridge shrinks a little


def test_the_fill_follows_the_partner_and_an_uncovered_gap_keeps_the_fallback() -> None:
    rng = np.random.default_rng(2)
    partner = np.cumsum(rng.normal(size=600))
    truth = partner + np.cumsum(rng.normal(scale=0.1, size=600))
    target = truth.copy()
    target[100:112] = np.nan
    partner_gappy = partner.copy()
    target[400:405] = np.nan
    partner_gappy[402] = np.nan  # the partner is not observed through this gap
    filled, ids, codes = fill({"target": target, "partner": partner_gappy})
    values = filled[codes == list(ids).index("target")]
    straight = np.interp(np.arange(100, 112), [99, 112], [truth[99], truth[112]])
    error = np.abs(values[100:112] - truth[100:112]).mean()
    assert error < 0.5 < np.abs(straight - truth[100:112]).mean()
    assert (values[400:405] == -999.0).all()


def test_a_single_series_or_too_many_keep_the_fallback() -> None:
    alone = np.arange(600.0)
    alone[10:20] = np.nan
    filled, _, _ = fill({"a": alone})
    assert (filled[10:20] == -999.0).all()
    many = {f"s{i:03d}": np.arange(600.0) + i for i in range(MAX_SERIES + 1)}
    many["s000"][5:8] = np.nan
    filled, _, codes = fill(many)
    assert (filled[codes == 0][5:8] == -999.0).all()


def test_partners_are_ranked_by_the_correlation_of_differences() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=500).cumsum()
    matrix = np.column_stack([base, base + rng.normal(scale=0.1, size=500), rng.normal(size=500).cumsum()])
    assert partner_ranking(matrix)[0][0] == 1
    assert partner_ranking(matrix)[2][-1] in (0, 1)


def test_series_sampled_at_other_instants_are_never_partners() -> None:
    partner = np.cumsum(np.random.default_rng(4).normal(size=600))
    target = 2.0 * partner
    target[300:320] = np.nan
    shifted = frame({"partner": partner})
    shifted["ts"] = shifted["ts"] + pd.Timedelta(minutes=30)  # same step, other phase: no common instant
    grid = sorted_grid(pd.concat([frame({"target": target}), shifted], ignore_index=True))
    fallback = np.where(np.isnan(grid.values), -999.0, grid.values)
    filled = fill_from_partners(grid, fallback)
    assert (filled[grid.codes == list(grid.ids).index("target")][300:320] == -999.0).all()
    same = sorted_grid(frame({"target": target, "partner": partner}))
    assert len(instant_groups(same)) == 1 and len(instant_groups(grid)) == 2
