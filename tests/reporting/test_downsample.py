from __future__ import annotations

import time

import numpy as np

from sparkhu.reporting.downsample import bucket_starts, merge_spans, minmax_downsample, thin_indices, true_runs


def test_small_input_is_returned_unchanged() -> None:
    x = np.arange(10, dtype=float)
    y = np.arange(10, dtype=float) ** 2
    kept_x, kept_y = minmax_downsample(x, y, buckets=5)
    assert kept_x is x and kept_y is y


def test_keeps_each_buckets_min_and_max_in_time_order() -> None:
    x = np.arange(12, dtype=float)
    y = np.array([5, 1, 9, 3, 2, 8, 0, 4, 7, 6, 5, 5], dtype=float)
    # 12 points over 11 units in 2 buckets: [0, 5.5) holds indices 0..5, the rest 6..11
    kept_x, kept_y = minmax_downsample(x, y, buckets=2)
    assert kept_x.tolist() == [1, 2, 6, 8]
    assert kept_y.tolist() == [1, 9, 0, 7]


def test_all_missing_bucket_keeps_one_nan_so_the_gap_stays() -> None:
    x = np.arange(30, dtype=float)
    y = np.arange(30, dtype=float)
    y[10:20] = np.nan
    kept_x, kept_y = minmax_downsample(x, y, buckets=3)
    assert kept_x.tolist() == [0, 9, 10, 20, 29]
    assert np.isnan(kept_y[2]) and np.isfinite(np.delete(kept_y, 2)).all()


def test_extremes_survive_a_million_points_quickly() -> None:
    n = 1_000_000
    x = np.arange(n, dtype=float)
    y = np.sin(x / 5000.0)
    y[123_456] = 50.0
    y[765_432] = -50.0
    started = time.perf_counter()
    kept_x, kept_y = minmax_downsample(x, y, buckets=1200)
    elapsed = time.perf_counter() - started
    assert len(kept_x) <= 2 * 1200
    assert kept_y.max() == 50.0 and kept_x[kept_y.argmax()] == 123_456
    assert kept_y.min() == -50.0 and kept_x[kept_y.argmin()] == 765_432
    assert np.all(np.diff(kept_x) > 0)
    assert elapsed < 1.0, elapsed


def test_bucket_starts_of_a_constant_position_is_one_bucket() -> None:
    assert bucket_starts(np.zeros(5), 10).tolist() == [0]
    assert bucket_starts(np.array([0.0, 0.1, 0.9, 1.0]), 2).tolist() == [0, 2]


def test_true_runs_and_merged_spans() -> None:
    starts, ends = true_runs(np.array([1, 1, 0, 0, 1, 0, 1], dtype=bool))
    assert starts.tolist() == [0, 4, 6] and ends.tolist() == [2, 5, 7]
    merged = merge_spans(np.array([0.0, 2.5, 10.0]), np.array([2.0, 3.0, 11.0]), min_gap=1.0)
    assert merged[0].tolist() == [0.0, 10.0] and merged[1].tolist() == [3.0, 11.0]
    empty = merge_spans(np.empty(0), np.empty(0), 1.0)
    assert len(empty[0]) == 0


def test_thin_indices_spreads_evenly() -> None:
    assert thin_indices(5, 10).tolist() == [0, 1, 2, 3, 4]
    assert thin_indices(101, 5).tolist() == [0, 25, 50, 75, 100]
