"""What a running task sees: its interval, shard, series, parameters, the lake and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pandas as pd

from sparkhu.config import Settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import Feature, get_features
from sparkhu.storage.lake import Lake, Slice
from sparkhu.tasks.engines import Engine, Read, SeriesStep, StepResult, Write
from sparkhu.tasks.interval import Interval, Shard
from sparkhu.tasks.params import TaskInputError


@dataclass
class TaskContext:
    """The context of one task run.

    Attributes:
        settings: Configuration in force.
        lake: The Delta tables.
        interval: The ``[start, end)`` the run owns.
        shard: The shard the run owns.
        series: Series ids the run is limited to, or None for every series (unsharded, unfiltered).
        params: Validated parameter values.
        engine: The engine that runs the task's data path (:meth:`run_step`).
        seconds: Time per phase of the steps run so far (read, compute, write), for the report row.
    """

    settings: Settings
    lake: Lake
    interval: Interval
    shard: Shard
    series: tuple[str, ...] | None
    params: dict[str, Any]
    engine: Engine
    seconds: dict[str, float] = field(default_factory=dict)

    def slice(self, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None, **equals: str | int) -> Slice:
        """The run's slice, or a slice with other bounds (or fixed column values) over the same series."""
        return self._slice(start, end, equals, {})

    def _slice(self, start: pd.Timestamp | None, end: pd.Timestamp | None, equals: dict[str, str | int],
               among: dict[str, tuple[str, ...]]) -> Slice:
        return Slice(start=self.interval.start if start is None else start,
                     end=self.interval.end if end is None else end, series=self.series, equals=equals, among=among)

    def read(self, table: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
             among: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
        """Rows of ``table`` for the run's series in ``[start, end)`` (default: the run's interval).

        ``among`` further keeps rows whose column holds one of the given values (pushed into the scan).
        """
        return self.lake.read(table, self._slice(start, end, {}, among or {}))

    def reading(self, table: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                columns: tuple[str, ...] | None = None, **equals: str | int) -> Read:
        """An input of a step: ``table`` for the run's series in ``[start, end)`` (default: the interval)."""
        return Read(table, self._slice(start, end, equals, {}), columns)

    def writing(self, table: str, start: pd.Timestamp | None = None, among: dict[str, tuple[str, ...]] | None = None,
                **equals: str | int) -> Write:
        """An output of a step: the run's slice of ``table`` (from ``start``; with fixed column values)."""
        return Write(table, self._slice(start, None, equals, among or {}))

    def run_step(self, step: SeriesStep) -> StepResult:
        """Run the task's data path on the engine."""
        result = self.engine.run(self.lake, step)
        for phase, seconds in result.seconds.items():
            self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        return result

    def write(self, table: str, frame: pd.DataFrame, **equals: str | int) -> int:
        """Replace the run's slice of ``table`` with ``frame``; return the new table version."""
        return self.lake.replace(table, frame, self.slice(**equals))

    def features(self) -> dict[str, Feature]:
        """Registered features of the run's series."""
        with session_scope(self.settings.database) as session:
            return get_features(session, self.series)

    def feature_frame(self, *attributes: str) -> pd.DataFrame:
        """One row per registered feature of the run's series: ``series_id`` and the named attributes."""
        features = self.features()
        columns = {name: [getattr(feature, name) for feature in features.values()] for name in attributes}
        return pd.DataFrame({"series_id": pd.Series(list(features), dtype="string"), **columns})

    def periods(self, since: pd.Timestamp | None = None) -> dict[str, float]:
        """Decided period of each series since ``since`` (default: the interval start; latest wins)."""
        decided = self.read("regularity", start=self.interval.start if since is None else since)
        decided = decided.sort_values("interval_start").dropna(subset=["period_seconds"])
        decided = decided.drop_duplicates("series_id", keep="last")
        return dict(zip(decided["series_id"], decided["period_seconds"].astype(float), strict=True))

    def days_before_start(self, days: float) -> pd.Timestamp:
        """The instant ``days`` before the start of the interval (context for windowed steps)."""
        return self.interval.start - timedelta(days=days)

    def lookback(self, days: float) -> pd.Timestamp:
        """The instant ``days`` before the end of the interval."""
        return self.interval.end - timedelta(days=days)


def resolve_series(settings: Settings, requested: list[str], shard: Shard) -> tuple[str, ...] | None:
    """Series a run covers: None means all (no filter), else the requested/registered ids in the shard.

    Raises:
        TaskInputError: A requested series is not registered.
    """
    if not requested and shard.count == 1:
        return None
    with session_scope(settings.database) as session:
        known = get_features(session, requested or None)
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise TaskInputError(f"unknown series {unknown}; register them (sparkhu features import) or ingest data")
    universe = requested or sorted(known)
    return tuple(series_id for series_id in universe if shard.owns(series_id))
