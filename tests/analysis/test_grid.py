"""Per-segment sorting and quantiles of the grid layout, against numpy on each segment."""

from __future__ import annotations

import numpy as np
import pytest

from sparkhu.analysis._grid import segment_quantile_table, values_by_segment


@pytest.mark.parametrize(("rows", "segments"), [(0, 1), (1, 1), (7, 3), (5_000, 9), (40_000, 3_000), (2_000, 5_000)])
def test_values_by_segment_equals_lexsort(rows: int, segments: int) -> None:
    """Whether rows come grouped or shuffled, many or few per segment: the lexsort order, ties included."""
    rng = np.random.default_rng(rows)
    codes = rng.integers(0, segments, rows)
    values = np.round(rng.normal(size=rows), 1)  # rounding makes ties
    sizes = np.bincount(codes, minlength=segments)
    expected = values[np.lexsort((values, codes))]
    grouped = np.argsort(codes, kind="stable")
    np.testing.assert_array_equal(values_by_segment(codes, values, sizes), expected)
    np.testing.assert_array_equal(values_by_segment(codes[grouped], values[grouped], sizes), expected)


def test_segment_quantiles_match_numpy_per_segment() -> None:
    """Quartiles of shuffled rows equal ``numpy.quantile`` of each segment; an all-NaN segment gives NaN."""
    codes = np.array([2, 0, 1, 0, 2, 0, 1, 2, 0, 3])
    values = np.array([5.0, 4.0, 10.0, 1.0, -1.0, 3.0, 20.0, 0.5, 2.0, np.nan])
    q1, median = segment_quantile_table(codes, values, 4, (0.25, 0.5))
    for code in range(3):
        own = values[codes == code]
        assert q1[code] == pytest.approx(np.quantile(own, 0.25))
        assert median[code] == pytest.approx(np.quantile(own, 0.5))
    assert np.isnan(q1[3]) and np.isnan(median[3])
    assert median[0] == pytest.approx(2.5)  # 1, 2, 3, 4
