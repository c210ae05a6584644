"""Delta Lake access: replace exactly one slice of a table per task run, and read filtered slices."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from sparkhu.storage.tables import MONTH, TableSpec, table_spec

_COMMIT_ATTEMPTS = 8


@dataclass(frozen=True)
class Slice:
    """The part of a table that one task run owns: a time interval, a series set and fixed columns.

    Attributes:
        start: Inclusive lower bound of the table's time column (None: unbounded).
        end: Exclusive upper bound of the table's time column (None: unbounded).
        series: Series ids the slice is restricted to (None: every series).
        equals: Column values every row of the slice has (e.g. ``{"source": hash}``).
        among: Columns whose value is one of a few (e.g. ``{"variant": ("linear", "seasonal")}``).
    """

    start: datetime | None = None
    end: datetime | None = None
    series: tuple[str, ...] | None = None
    equals: dict[str, str | int] = field(default_factory=dict)
    among: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def predicate(self, spec: TableSpec) -> str | None:
        """The Delta (SQL) predicate of this slice, or None for the whole table."""
        clauses = [f"{column} = {_sql_literal(value)}" for column, value in sorted(self.equals.items())]
        clauses += [f"{column} IN ({', '.join(_sql_literal(v) for v in values) or 'NULL'})"
                    for column, values in sorted(self.among.items())]
        if spec.time_column and self.start is not None:
            clauses.append(f"{spec.time_column} >= '{_iso(self.start)}'")
            if spec.partition_by_month:
                clauses.append(f"{MONTH} >= '{_month(self.start)}'")
        if spec.time_column and self.end is not None:
            clauses.append(f"{spec.time_column} < '{_iso(self.end)}'")
            if spec.partition_by_month:
                clauses.append(f"{MONTH} <= '{_month(self.end)}'")
        if spec.has_series and self.series is not None:
            listed = ", ".join(_sql_literal(s) for s in self.series) or "NULL"
            clauses.append(f"series_id IN ({listed})")
        return " AND ".join(clauses) or None

    def mask(self, frame: pd.DataFrame, spec: TableSpec) -> pd.Series:
        """Boolean mask of the rows of ``frame`` that lie inside this slice."""
        inside = pd.Series(True, index=frame.index)
        for column, value in self.equals.items():
            inside &= frame[column] == value
        for column, values in self.among.items():
            inside &= frame[column].isin(values)
        if spec.time_column and self.start is not None:
            inside &= frame[spec.time_column] >= pd.Timestamp(self.start)
        if spec.time_column and self.end is not None:
            inside &= frame[spec.time_column] < pd.Timestamp(self.end)
        if spec.has_series and self.series is not None:
            inside &= frame["series_id"].isin(self.series)
        return inside


def _sql_literal(value: str | int) -> str:
    """A SQL literal; strings are single-quoted with quotes doubled."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _iso(moment: datetime) -> str:
    """UTC ISO-8601 text of a timestamp, as Delta predicates compare it."""
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _month(moment: datetime) -> str:
    """The ``YYYY-MM`` partition value of a timestamp."""
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m")


class Lake:
    """All Delta tables under one root URI.

    Args:
        root: Folder or object-store URI that holds one sub-folder per table.
        storage_options: Object-store options passed to delta-rs (credentials, endpoint).
    """

    def __init__(self, root: str, storage_options: dict[str, str] | None = None) -> None:
        self.root = root.rstrip("/")
        self.storage_options = storage_options or None

    def uri(self, name: str) -> str:
        """URI of table ``name``."""
        return f"{self.root}/{table_spec(name).name}"

    def table(self, name: str) -> DeltaTable | None:
        """The Delta table ``name``, or None when it was never written."""
        try:
            return DeltaTable(self.uri(name), storage_options=self.storage_options)
        except TableNotFoundError:
            return None

    def replace(self, name: str, frame: pd.DataFrame, where: Slice) -> int:
        """Replace the slice ``where`` of table ``name`` with ``frame`` in one commit.

        Rerunning with the same slice never duplicates rows; a process killed before the commit leaves
        the previous version untouched (Delta commits are atomic).

        Args:
            name: Table name.
            frame: New rows; every row must lie inside ``where``.
            where: The slice this write owns.

        Returns:
            The table version after the commit.
        """
        spec = table_spec(name)
        outside = int((~where.mask(frame, spec)).sum()) if len(frame) else 0
        if outside:
            raise ValueError(f"{outside} rows of the write to {name!r} lie outside its slice {where}")
        data = to_arrow(frame, spec)
        return self._commit_with_retry(spec, data, where.predicate(spec))

    def _commit_with_retry(self, spec: TableSpec, data: pa.Table, predicate: str | None) -> int:
        """Commit, retrying on conflicts with concurrent writers (parallel shards) with jittered backoff."""
        for attempt in range(_COMMIT_ATTEMPTS):
            try:
                return self._commit(spec, data, predicate)
            except CommitFailedError:
                if attempt == _COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt * (1 + random.random()))
        raise AssertionError("unreachable")

    def _commit(self, spec: TableSpec, data: pa.Table, predicate: str | None) -> int:
        table = self._ensure(spec)
        if data.num_rows == 0:
            table.delete(predicate)
        else:
            write_deltalake(table, data, mode="overwrite", predicate=predicate,
                            partition_by=spec.partition_by or None)
        table.update_incremental()
        return table.version()

    def _ensure(self, spec: TableSpec) -> DeltaTable:
        """Open the table, creating it empty with its declared schema when missing."""
        existing = self.table(spec.name)
        if existing is not None:
            return existing
        try:
            return DeltaTable.create(self.uri(spec.name), spec.stored_schema, mode="ignore",
                                     partition_by=spec.partition_by or None,
                                     storage_options=self.storage_options)
        except CommitFailedError:  # a concurrent writer created it first
            return DeltaTable(self.uri(spec.name), storage_options=self.storage_options)

    def read(self, name: str, where: Slice | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of ``name`` inside ``where``, filtered in the scan (partitions and file statistics).

        Returns:
            A pandas frame with the declared columns (empty, typed, when the table does not exist).
        """
        spec = table_spec(name)
        wanted = list(columns) if columns else spec.schema.names
        table = self.table(name)
        if table is None:
            return spec.schema.empty_table().select(wanted).to_pandas()
        dataset = table.to_pyarrow_dataset()
        expression = _scan_filter(spec, where) if where else None
        arrow = dataset.to_table(columns=wanted, filter=expression)
        return arrow.to_pandas()

    def count(self, name: str) -> int:
        """Row count of ``name`` (0 when missing)."""
        return self.summary(name).rows

    def version(self, name: str) -> int | None:
        """Current version of ``name`` (None when missing)."""
        return self.summary(name).version

    def summary(self, name: str) -> TableSummary:
        """Rows, version and data files of ``name``, from one opening of the table."""
        table = self.table(name)
        if table is None:
            return TableSummary(rows=0, version=None, files=0)
        return TableSummary(rows=table.to_pyarrow_dataset().count_rows(), version=table.version(),
                            files=len(table.file_uris()))


@dataclass(frozen=True)
class TableSummary:
    """What ``sparkhu tables`` shows of a table (``version`` None: never written)."""

    rows: int
    version: int | None
    files: int


def _scan_filter(spec: TableSpec, where: Slice) -> Any:
    """The Arrow dataset filter of a slice (partition pruning through ``month``, stats through the rest)."""
    clauses = [pc.field(column) == value for column, value in where.equals.items()]
    clauses += [pc.field(column).isin(pa.array(list(values), type=pa.string()))
                for column, values in where.among.items()]
    if spec.time_column and where.start is not None:
        clauses.append(pc.field(spec.time_column) >= pa.scalar(pd.Timestamp(where.start), type=_ts_type()))
        if spec.partition_by_month:
            clauses.append(pc.field(MONTH) >= _month(where.start))
    if spec.time_column and where.end is not None:
        clauses.append(pc.field(spec.time_column) < pa.scalar(pd.Timestamp(where.end), type=_ts_type()))
        if spec.partition_by_month:
            clauses.append(pc.field(MONTH) <= _month(where.end))
    if spec.has_series and where.series is not None:
        clauses.append(pc.field("series_id").isin(pa.array(list(where.series), type=pa.string())))
    expression: ds.Expression | None = None
    for clause in clauses:
        expression = clause if expression is None else expression & clause
    return expression


def _ts_type() -> pa.DataType:
    return pa.timestamp("us", tz="UTC")


def to_arrow(frame: pd.DataFrame, spec: TableSpec) -> pa.Table:
    """Conform ``frame`` to the table's declared schema (column order, types) and add the partition column.

    Absent nullable columns are written as nulls.

    Raises:
        ValueError: A declared non-nullable column is missing, or a column cannot be cast.
    """
    missing = [field.name for field in spec.schema if field.name not in frame.columns]
    required = [name for name in missing if not spec.schema.field(name).nullable]
    if required:
        raise ValueError(f"write to {spec.name!r} lacks columns {required}")
    # An absent nullable column is stored as nulls: a step that has nothing to say there says nothing.
    frame = frame.assign(**{name: None for name in missing})
    table = pa.Table.from_pandas(frame[spec.schema.names], preserve_index=False).cast(spec.schema, safe=False)
    if table.num_rows > 1:
        # Sorted files let Parquet statistics prune by series and time; Arrow sorts strings far faster
        # than pandas does.
        table = table.take(pc.sort_indices(table, sort_keys=[(key, "ascending") for key in spec.sort_by]))
    if spec.partition_by_month:
        months = month_labels(table[spec.time_column or "ts"])
        table = table.append_column(pa.field(MONTH, pa.string(), nullable=False), months)
    return table


def month_labels(stamps: pa.ChunkedArray) -> pa.Array:
    """``YYYY-MM`` of each timestamp, formatting only the distinct months (cheap on millions of rows)."""
    months = stamps.to_numpy().astype("datetime64[M]")
    distinct, index = np.unique(months, return_inverse=True)
    labels = np.array([str(month) for month in distinct], dtype=object)
    return pa.array(labels[index] if len(labels) else [], type=pa.string())
