"""The engine contract, parametrised over every engine: a new engine passes these to slot in.

``ENGINES`` holds every registered engine plus the local engine forced onto its process pool, so the
split of a step over series groups is checked against running it whole. The last test runs every
task of the daily DAG on each engine and requires identical tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.cli.pipeline import demo_commands
from sparkhu.config import Settings, get_settings
from sparkhu.demo.generate import write_demo
from sparkhu.storage.lake import Lake, Slice
from sparkhu.storage.tables import TABLES
from sparkhu.tasks import runner as task_runner
from sparkhu.tasks.engines import FACTORIES, Engine, LocalEngine, Read, SeriesStep, Write, counts, engine_for
from sparkhu.tasks.engines.local import series_groups
from sparkhu.tasks.params import TaskInputError
from sparkhu.tasks.runner import TaskRequest, run_task
from sparkhu.workflows.daily import NODES

ENGINES: dict[str, Callable[[Settings], Engine]] = {
    **FACTORIES,
    "local-pool": lambda settings: LocalEngine(workers=2, min_rows_parallel=1),
}
T0 = pd.Timestamp("2024-03-01", tz="UTC")


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest, home: Settings) -> Engine:
    return ENGINES[request.param](home)


def points(series: list[str], n: int) -> pd.DataFrame:
    return pd.DataFrame({"series_id": np.repeat(series, n), "ts": np.tile(pd.date_range(T0, periods=n, freq="h"),
                                                                          len(series)),
                         "value": np.arange(len(series) * n, dtype=float)})


def shifted(frames: Mapping[str, pd.DataFrame], *, by: float) -> dict[str, pd.DataFrame]:
    """Adds ``by`` and each series' offset from the ``given`` frame; counts rows per call."""
    raw = frames["raw"]
    offset = raw["series_id"].map(frames["offsets"].set_index("series_id")["offset"]).fillna(0.0)
    out = raw[["series_id", "ts"]].assign(value=raw["value"] + by + offset, n_raw=1, conflict=False)
    seen = frames["offsets"]["series_id"].astype(str).tolist()
    return {"deduplicated": out, "counts": counts(rows=len(raw), offsets=len(seen))}


def step(lake_root: Lake, series: tuple[str, ...] | None = None) -> SeriesStep:
    where = Slice(T0, T0 + pd.Timedelta(days=30), series)
    offsets = pd.DataFrame({"series_id": ["a", "b", "c", "zzz-no-data"], "offset": [100.0, 200.0, 300.0, 0.0]})
    return SeriesStep(reads={"raw": Read("raw", where, ("series_id", "ts", "value"))}, compute=shifted,
                      writes={"deduplicated": Write("deduplicated", where)}, kwargs={"by": 0.5},
                      given={"offsets": offsets})


def seed_raw(lake: Lake) -> pd.DataFrame:
    raw = points(["a", "b", "c"], 50).assign(source="s", file="f", line=np.arange(150), ingested_at=T0)
    lake.replace("raw", raw, Slice(T0, T0 + pd.Timedelta(days=30)))
    return raw


def test_a_step_reads_computes_on_whole_series_and_writes(engine: Engine, home: Settings) -> None:
    lake = Lake(home.lake)
    raw = seed_raw(lake)
    result = engine.run(lake, step(lake))
    written = lake.read("deduplicated").sort_values(["series_id", "ts"], ignore_index=True)
    expected = raw["value"] + 0.5 + raw["series_id"].map({"a": 100.0, "b": 200.0, "c": 300.0})
    np.testing.assert_allclose(written["value"], expected)
    assert result.rows_in == {"raw": 150} and result.rows_out == {"deduplicated": 150}
    assert result.n_series == 3 and result.versions["deduplicated"] == lake.version("deduplicated")
    # Every given row reaches exactly one call, data or not: 4 offsets in all, 150 rows in all.
    assert result.totals() == {"rows": 150, "offsets": 4}


def test_a_step_limited_to_some_series_touches_only_them(engine: Engine, home: Settings) -> None:
    lake = Lake(home.lake)
    seed_raw(lake)
    engine.run(lake, step(lake))
    engine.run(lake, SeriesStep(reads={"raw": Read("raw", Slice(T0, T0 + pd.Timedelta(days=30), ("b",)))},
                                compute=shifted, writes={"deduplicated": Write("deduplicated", Slice(
                                    T0, T0 + pd.Timedelta(days=30), ("b",)))},
                                kwargs={"by": 1000.0}, given={"offsets": pd.DataFrame(
                                    {"series_id": ["b"], "offset": [0.0]})}))
    written = lake.read("deduplicated")
    assert len(written) == 150
    assert (written[written.series_id == "b"]["value"] >= 1000).all()
    assert (written[written.series_id != "b"]["value"] < 1000).all()


def test_a_step_that_does_not_return_a_written_output_fails_before_writing(engine: Engine, home: Settings) -> None:
    lake = Lake(home.lake)
    seed_raw(lake)
    broken = SeriesStep(reads=step(lake).reads, compute=shifted, writes={"nothing": Write("deduplicated", Slice())},
                        kwargs={"by": 0.0}, given=step(lake).given)
    with pytest.raises(ValueError, match="no frame for the outputs"):
        engine.run(lake, broken)
    assert lake.version("deduplicated") is None


def test_series_groups_keep_series_whole_and_balance_rows() -> None:
    frame = pd.DataFrame({"series_id": np.repeat(["a", "b", "c", "d", "e"], [10, 1, 30, 5, 20])})
    groups = series_groups({"x": frame}, 3)
    assert sorted(s for group in groups for s in group) == ["a", "b", "c", "d", "e"] and len(groups) <= 3
    sizes = [frame.series_id.isin(group).sum() for group in groups]
    assert max(sizes) <= 36  # no group holds more than c plus its neighbour


def test_the_engine_comes_from_settings(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine_for(home).name == "local"
    monkeypatch.setattr(home, "engine", "quantum")
    with pytest.raises(TaskInputError, match=r"unknown engine 'quantum'.*local"):
        engine_for(home)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


def run_daily_dag_in_process(home: Settings, demo: Path) -> dict[str, pd.DataFrame]:
    """Ingest the demo data, then every node of the daily DAG as run_task calls on one shard."""
    runner = CliRunner()
    for argv in demo_commands(write_demo(demo / "data", days=2))[:-1]:  # everything but `run`
        assert runner.invoke(app, argv).exit_code == 0
    lake = Lake(home.lake)
    stamps = lake.read("raw", columns=["ts"])["ts"]
    start, end = stamps.min().floor("D").isoformat(), (stamps.max().floor("D") + pd.Timedelta(days=1)).isoformat()
    for node in NODES:
        run_task(TaskRequest(node.task, start, end), get_settings())
    return {name: lake.read(name) for name in TABLES if name != "reports"}


@pytest.fixture()
def engine_named(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, home: Settings) -> Iterator[str]:
    name: str = request.param
    monkeypatch.setattr(task_runner, "engine_for", ENGINES[name])
    yield name


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("stage", "series_id", "variant", "candidate", "input_length", "ts", "interval_start", "line")
            if c in frame.columns]
    drop = [c for c in ("quarantined_at", "ingested_at") if c in frame.columns]
    return frame.drop(columns=drop).sort_values(keys, kind="stable", ignore_index=True)


@pytest.mark.parametrize("engine_named", sorted(ENGINES), indirect=True)
def test_every_task_of_the_daily_dag_gives_the_same_tables_on_every_engine(
        engine_named: str, home: Settings, demo_files: Path) -> None:
    tables = run_daily_dag_in_process(home, demo_files)
    assert all(len(tables[name]) for name in ("windows", "cleaned", "imputed", "selection_scores"))
    reference_file = demo_files / "reference.pkl"
    if not reference_file.exists():
        pd.to_pickle(tables, reference_file)
        return
    reference = pd.read_pickle(reference_file)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(canonical(frame), canonical(reference[name]), check_dtype=False, obj=name)
