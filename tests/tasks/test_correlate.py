"""Task ``correlate`` on a real lake: planted leaders, bad input that must not fail, idempotent reruns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sparkhu.config import Settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import Feature
from sparkhu.storage.lake import Lake, Slice
from sparkhu.tasks.runner import TaskRequest, TaskResult, run_task

START, END = "2024-03-10", "2024-03-11"
HOURS = pd.date_range("2024-03-01", END, freq="h", tz="UTC", inclusive="left")
LAG = 3
"""Hours by which ``plant.b_follower`` follows ``plant.a_leader``."""


def seed(home: Settings, series: dict[str, tuple[str, np.ndarray]], filled: dict[str, np.ndarray] | None = None
         ) -> None:
    """Register ``id -> (group, hourly values)`` and write them as cleaned + imputed points and a decided period.

    NaN values are left out (not observed); ``filled`` marks points that the imputation invented.
    """
    with session_scope(home.database) as session:
        session.add_all(Feature(id=sid, name=sid, group=group) for sid, (group, _) in series.items())
    frames = []
    for sid, (_, values) in series.items():
        known = np.isfinite(values)
        frames.append(pd.DataFrame({"series_id": sid, "ts": HOURS[known], "value": values[known]}))
    points = pd.concat(frames, ignore_index=True)
    missing = np.zeros(len(points), dtype=bool)
    for sid, mask in (filled or {}).items():
        rows = np.flatnonzero(points["series_id"].eq(sid).to_numpy())
        missing[rows[mask[np.isfinite(series[sid][1])]]] = True
    lake, everything = Lake(home.lake), Slice(HOURS[0], pd.Timestamp(END, tz="UTC"))
    lake.replace("cleaned", points.assign(method="keep"), everything)
    lake.replace("imputed", points.assign(is_missing=missing, is_outlier=False, method="linear"), everything)
    decided = pd.DataFrame({"series_id": list(series), "interval_start": pd.Timestamp(START, tz="UTC"),
                            "interval_end": pd.Timestamp(END, tz="UTC"), "period_seconds": 3600.0,
                            "is_regular": True, "confidence": 1.0, "decided_by": "estimate"})
    lake.replace("regularity", decided, Slice(pd.Timestamp(START, tz="UTC"), pd.Timestamp(END, tz="UTC")))


def correlate(group: str, *params: str) -> TaskResult:
    from sparkhu.config import get_settings

    return run_task(TaskRequest("correlate", START, END, params=(f"group={group}", *params)), get_settings())


def rows(home: Settings, group: str) -> pd.DataFrame:
    table = Lake(home.lake).read("correlations", Slice(equals={"group": group}))
    return table.set_index(["series_a", "series_b"]).sort_index()


def walk(seed_: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed_).normal(size=len(HOURS)))


@pytest.fixture()
def planted(home: Settings) -> Settings:
    leader = walk(1)
    follower = np.concatenate([np.full(LAG, leader[0]), leader[:-LAG]]) + np.random.default_rng(2).normal(
        scale=0.1, size=len(HOURS))
    seed(home, {"plant.a_leader": ("plant", leader), "plant.b_follower": ("plant", follower),
                "plant.c_other": ("plant", walk(3)), "solo.x": ("solo", walk(4))})
    return home


def test_a_planted_leader_is_found_with_its_sign_and_lag(planted: Settings) -> None:
    result = correlate("plant")
    table = rows(planted, "plant")
    assert len(table) == 3 and (table["note"] == "").all()
    pair = table.loc[("plant.a_leader", "plant.b_follower")]
    assert pair["best_lag_s"] == LAG * 3600  # positive: a leads b
    assert pair["best_lag_corr"] > 0.9 and pair["p_value"] < 1e-6 and pair["grid_s"] == 3600
    assert pair["n"] == len(HOURS)
    assert (table["interval_start"] == pd.Timestamp(START, tz="UTC")).all()
    counts = result.outcome.counts
    assert counts["pairs"] == 3 and counts["significant"] >= 1 and counts["not_comparable"] == 0
    assert counts["single_series_groups"] == 0
    assert "3 pairs of 3 series" in result.outcome.outputs["note"]


def test_a_group_of_one_series_writes_nothing_and_says_so(planted: Settings) -> None:
    result = correlate("solo")
    assert result.outcome.counts["single_series_groups"] == 1 and result.outcome.counts["pairs"] == 0
    assert "nothing to correlate" in result.outcome.outputs["note"]
    assert rows(planted, "solo").empty
    report = Lake(planted.lake).read("reports").set_index("task").loc["correlate"]
    assert report["status"] == "succeeded" and json.loads(report["counts"])["single_series_groups"] == 1


def test_no_overlap_and_a_constant_partner_are_rows_with_notes(home: Settings) -> None:
    early, late = walk(5), walk(6)
    early[len(HOURS) // 2:] = np.nan
    late[: len(HOURS) // 2] = np.nan
    seed(home, {"gaps.early": ("gaps", early), "gaps.flat": ("gaps", np.full(len(HOURS), 7.0)),
                "gaps.late": ("gaps", late)})
    result = correlate("gaps")
    table = rows(home, "gaps")
    assert len(table) == 3 and table["pearson"].isna().all() and table["p_value"].isna().all()
    assert table.loc[("gaps.early", "gaps.late"), "n"] == 0
    assert "common grid points" in table.loc[("gaps.early", "gaps.late"), "note"]
    assert "constant" in table.loc[("gaps.early", "gaps.flat"), "note"]
    counts = result.outcome.counts
    assert (counts["not_comparable"], counts["not_comparable.constant"], counts["not_comparable.no_overlap"]) == (
        3, 2, 1)
    assert counts["significant"] == 0 and not result.outcome.failures
    assert "3 not comparable (constant: 2, no_overlap: 1)" in result.outcome.outputs["note"]


def test_filled_points_are_not_related(home: Settings) -> None:
    a, b = walk(7), walk(8)
    filled = np.zeros(len(HOURS), dtype=bool)
    filled[: len(HOURS) - 5] = True  # everything of b but 5 points was invented by the imputation
    seed(home, {"f.a": ("f", a), "f.b": ("f", b)}, filled={"f.b": filled})
    correlate("f")
    pair = rows(home, "f").iloc[0]
    assert pair["n"] == 5 and "common grid points" in pair["note"]


def test_a_rerun_replaces_the_interval_slice(planted: Settings) -> None:
    correlate("plant")
    correlate("solo")
    first = Lake(planted.lake).count("correlations")
    correlate("plant", "bound=1")  # fewer candidates: the slice shrinks instead of keeping stale pairs
    smaller = Lake(planted.lake).count("correlations")
    correlate("plant")
    assert (first, Lake(planted.lake).count("correlations")) == (3, 3) and smaller < first
