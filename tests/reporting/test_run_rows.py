from __future__ import annotations

import json

import pandas as pd
import pytest

from sparkhu.reporting.runsummary import flatten, parse_json, summarize_tasks
from sparkhu.reporting.variants import compare_variants

T0 = pd.Timestamp("2024-03-01", tz="UTC")


def rows(*specs: tuple[str, int, dict, dict, float]) -> pd.DataFrame:
    return pd.DataFrame([
        {"task": task, "interval_start": T0, "interval_end": T0 + pd.Timedelta(days=1), "shard": f"{i}/9",
         "run_id": "r", "status": "succeeded", "n_series": n, "parameters": "{}", "counts": json.dumps(counts),
         "metrics": json.dumps(metrics), "started_at": T0 + pd.Timedelta(minutes=i), "duration_s": duration}
        for i, (task, n, counts, metrics, duration) in enumerate(specs)
    ])


def test_parse_json_tolerates_null_invalid_and_non_objects() -> None:
    assert parse_json(None) == {} and parse_json("") == {} and parse_json("{oops") == {} and parse_json("[1]") == {}
    assert parse_json('{"a": 1}') == {"a": 1}
    assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {"a.b": 1, "a.c.d": 2, "e": 3}


def test_tasks_are_summed_over_shards_in_start_order() -> None:
    frame = rows(("describe", 2, {"rows_in": 10, "rows_out": 2, "late": 1}, {"ratio": 0.5}, 1.0),
                 ("describe", 3, {"rows_in": 20, "rows_out": 3, "late": 4}, {"ratio": 1.5, "note": "x"}, 2.5),
                 ("validate", 5, {"rows_in": 7}, {}, 0.1))
    first, second = summarize_tasks(frame)
    assert (first.task, first.rows, first.n_series, first.rows_in, first.rows_out) == ("describe", 2, 5, 30, 5)
    assert first.duration_s == pytest.approx(3.5)
    assert first.counts == {"late": 5.0}
    assert first.metrics == {"ratio": 1.0}  # averaged; text metrics are left out
    assert first.started_at == T0
    assert second.task == "validate" and second.rows_out == 0
    assert summarize_tasks(frame.iloc[:0]) == []


def test_variant_errors_are_weighted_by_series_and_choices_summed() -> None:
    frame = rows(("pool-missing", 1, {"chosen.linear": 1}, {"mae.linear": 0.1, "mae.locf": 0.5}, 1.0),
                 ("pool-missing", 3, {"chosen.linear": 2, "chosen.spline": 1},
                  {"mae": {"linear": 0.3, "locf": 0.9}, "rmse.linear": 0.4}, 1.0),
                 ("describe", 3, {}, {"mae.linear": 99.0}, 1.0))
    comparison = compare_variants(frame, "pool-missing", ())
    assert comparison.errors["mae"] == pytest.approx({"linear": 0.25, "locf": 0.8})
    assert comparison.errors["rmse"] == pytest.approx({"linear": 0.4})
    assert comparison.chosen == {"linear": 3.0, "spline": 1.0}
    assert comparison.metric == "mae"
    assert not comparison.is_empty


def test_per_series_errors_are_recognised_even_with_dotted_series_ids() -> None:
    metrics = {"mae.plant.flow.linear": 0.2, "mae.locf.plant.flow": 0.7, "mae.plant.flow.extra.linear": 5.0,
               "rmse.plant.flow.linear": 0.3, "mae.linear": 0.25}
    comparison = compare_variants(rows(("pool-missing", 1, {}, metrics, 1.0)), "pool-missing",
                                  ("plant.flow", "plant.flow.extra"))
    assert comparison.series_errors("plant.flow") == {"linear": 0.2, "locf": 0.7}
    assert comparison.series_errors("plant.flow.extra") == {"linear": 5.0}
    assert comparison.per_series["plant.flow"]["rmse"] == {"linear": 0.3}
    assert comparison.errors == {"mae": {"linear": 0.25}}
    assert comparison.series_errors("unknown") == {}


def test_a_pooling_task_that_recorded_nothing_is_empty() -> None:
    comparison = compare_variants(rows(("pool-missing", 1, {"rows_in": 3}, {"seconds": 1.0}, 1.0)), "pool-missing", ())
    assert comparison.is_empty and comparison.metric is None
