"""Delta Lake access: replace exactly one slice of a table per task run, and read filtered slices."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import ColumnProperties, CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from sparkhu.storage.recent import RECENT, SLICE_KEY, TOKEN_KEY, Remembered, new_token, slice_json
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
        """The Delta table ``name`` at its latest version, or None when it was never written."""
        return _open(self.uri(name), self.storage_options)

    def replace(self, name: str, frame: pd.DataFrame | pa.Table, where: Slice) -> int:
        """Replace the slice ``where`` of table ``name`` with ``frame`` in one commit.

        Rerunning with the same slice never duplicates rows; a process killed before the commit leaves
        the previous version untouched (Delta commits are atomic).

        Args:
            name: Table name.
            frame: New rows (pandas, or Arrow in the table's column names); every row must lie inside
                ``where``.
            where: The slice this write owns.

        Returns:
            The table version after the commit.

        Raises:
            ValueError: A row lies outside the slice, a required column is missing or a value does not cast.
        """
        spec = table_spec(name)
        data = to_arrow(frame, spec)
        check_inside(data, spec, where)
        predicate = where.predicate(spec)
        with self._local_lock(f"{spec.name}-{hashlib.sha1(str(predicate).encode()).hexdigest()}"):
            table = self._ensure(spec)
            before, token = table.version(), new_token()
            if predicate is not None and not _holds_rows(table, spec, where):
                # Nothing to replace: a blind append, which never conflicts with other writers' appends
                # (the other shards of the same step). The slice lock keeps a second local writer of
                # this very slice from appending it twice.
                version = self._commit_with_retry(spec, data, where, append=True, token=token)
            else:
                with self._local_lock(spec.name):
                    version = self._commit_with_retry(spec, data, where, append=False, token=token)
        if data.num_rows:
            RECENT.remember(self.uri(name), Remembered(where, data, token, before))
        else:
            RECENT.forget(self.uri(name), where)
        return version

    def lock(self, name: str) -> Any:
        """The exclusive local lock of table ``name`` that slice replacements take (a context manager)."""
        return self._local_lock(table_spec(name).name)

    @contextmanager
    def _local_lock(self, name: str) -> Iterator[None]:
        """An exclusive lock among this machine's writers of a local lake (none for object stores).

        Two shards that *replace* rows of the same table at once always conflict (each overwrite's
        predicate may match the other's new files), so one of them would write its files twice:
        waiting for the other costs less. Delta's own conflict check still guards other machines.
        """
        if "://" in self.root and not self.root.startswith("file://"):
            yield
            return
        folder = Path(self.root.removeprefix("file://")) / ".locks"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{name}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _commit_with_retry(self, spec: TableSpec, data: pa.Table, where: Slice, *, append: bool,
                           token: str) -> int:
        """Commit, retrying on conflicts with concurrent writers with jittered backoff."""
        for attempt in range(_COMMIT_ATTEMPTS):
            try:
                return self._commit(spec, data, where, append, token)
            except CommitFailedError:
                if attempt == _COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt * (1 + random.random()))
        raise AssertionError("unreachable")

    def _commit(self, spec: TableSpec, data: pa.Table, where: Slice, append: bool, token: str) -> int:
        table = self._ensure(spec)
        properties, predicate = writer_properties(spec), where.predicate(spec)
        tagged = CommitProperties(custom_metadata={TOKEN_KEY: token, SLICE_KEY: slice_json(where)})
        if append:
            if data.num_rows:
                write_deltalake(table, data, mode="append", partition_by=spec.partition_by or None,
                                writer_properties=properties, commit_properties=tagged)
        elif data.num_rows == 0:
            table.delete(predicate, commit_properties=tagged)
        else:
            write_deltalake(table, data, mode="overwrite", predicate=predicate, partition_by=spec.partition_by or None,
                            writer_properties=properties, commit_properties=tagged)
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
            return to_pandas(spec.schema.empty_table().select(wanted))
        served = RECENT.serve(self.uri(name), table, where, spec.time_column, spec.has_series) if where else None
        if served is None or where is None:
            rows = _dataset(table).to_table(columns=wanted, filter=_scan_filter(spec, where) if where else None)
        else:
            expression = _scan_filter(spec, where)
            held = served.slice.data
            rows = (held if expression is None else held.filter(expression)).select(wanted)
            if served.earlier_end is not None:
                earlier = _scan_filter(spec, dataclasses.replace(where, end=_min_end(where.end, served.earlier_end)))
                before = _dataset(table).to_table(columns=wanted, filter=earlier)
                rows = pa.concat_tables([before, rows.cast(before.schema)])
        # One chunk per column: a scan yields a chunk per file, and pandas keeps text columns chunked, so
        # every later take or filter on them would pay per chunk (a sort's take of 1M rows over 41 chunks:
        # 0.25 s against 0.04 s); numeric columns are combined by the conversion anyway.
        return to_pandas(rows.combine_chunks())

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
        return TableSummary(rows=_dataset(table).count_rows(), version=table.version(),
                            files=len(table.file_uris()))


@dataclass(frozen=True)
class TableSummary:
    """What ``sparkhu tables`` shows of a table (``version`` None: never written)."""

    rows: int
    version: int | None
    files: int


# Opened tables and their Arrow datasets, per process. A Delta version never changes, so a cached dataset
# is right as long as its version is the table's; opening a table costs ~25 ms, bringing an open one up
# to date ~1 ms, and building a dataset ~15 ms: a task run does both a dozen times.
_TABLES: dict[tuple[str, str], DeltaTable] = {}
_DATASETS: dict[tuple[str, int], ds.Dataset] = {}


def _open(uri: str, storage_options: dict[str, str] | None) -> DeltaTable | None:
    """The table at ``uri`` brought up to date, from this process's cache when it was opened before."""
    key = (uri, repr(sorted((storage_options or {}).items())))
    table = _TABLES.get(key)
    try:
        if table is None:
            table = _TABLES[key] = DeltaTable(uri, storage_options=storage_options)
        else:
            table.update_incremental()
    except TableNotFoundError:
        _TABLES.pop(key, None)
        return None
    return table


def _dataset(table: DeltaTable) -> ds.Dataset:
    """The Arrow dataset of ``table``'s current version (cached per version)."""
    key = (table.table_uri, table.version())
    if key not in _DATASETS:
        if len(_DATASETS) > 256:
            _DATASETS.clear()
        _DATASETS[key] = table.to_pyarrow_dataset()
    return _DATASETS[key]


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas, text columns as the contract's Arrow-backed ``string`` dtype (no copy)."""
    return table.to_pandas(types_mapper=_TEXT_TYPES.get)


_TEXT_TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def _min_end(end: datetime | None, other: datetime) -> datetime:
    """The earlier of an optional end and ``other``."""
    return other if end is None else min(end, other)


def _holds_rows(table: DeltaTable, spec: TableSpec, where: Slice) -> bool:
    """Whether the table has any row inside ``where`` (pruned by partitions and file statistics first).

    Stops at the first batch that holds one: a rerun's slice is found in its first file instead of
    counting every row of it.
    """
    scanner = _dataset(table).scanner(columns=[], filter=_scan_filter(spec, where))
    return any(batch.num_rows for batch in scanner.to_batches())


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


def writer_properties(spec: TableSpec) -> WriterProperties:
    """Parquet settings of a table's writes: its codec, and no dictionary encoding.

    Dictionary pages pay off for few distinct values; our float columns have many, so the writer built
    a dictionary, overflowed it and fell back to plain pages for every column chunk. Without it, half
    of a 3-year ``windows`` table (506k rows of 80 floats) wrote in 0.40 s instead of 1.06 s and took
    8 MiB instead of 19 (the codec then sees the windows' repeated values), and the plain tables wrote
    in 0.08-0.11 s instead of 0.11-0.23 s with reads no slower (measured 2026-12-03).
    """
    return WriterProperties(compression=spec.compression,
                            default_column_properties=ColumnProperties(dictionary_enabled=False))


def _ts_type() -> pa.DataType:
    return pa.timestamp("us", tz="UTC")


def to_arrow(frame: pd.DataFrame | pa.Table, spec: TableSpec) -> pa.Table:
    """Conform ``frame`` to the table's declared schema (column order, types) and add the partition column.

    Absent nullable columns are written as nulls; rows are sorted by the table's sort keys (unless they
    already are).

    Raises:
        ValueError: A declared non-nullable column is missing, or a column cannot be cast.
    """
    names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    missing = [field.name for field in spec.schema if field.name not in names]
    required = [name for name in missing if not spec.schema.field(name).nullable]
    if required:
        raise ValueError(f"write to {spec.name!r} lacks columns {required}")
    try:
        table = _arrow_columns(frame, spec, missing).cast(spec.schema, safe=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise ValueError(f"write to {spec.name!r}: a column does not fit the declared schema: {error}") from error
    if not is_sorted(table, spec.sort_by):
        # Sorted files let Parquet statistics prune by series and time; Arrow sorts strings far faster
        # than pandas does. Most steps emit sorted rows, so this sort is usually skipped.
        table = table.take(pc.sort_indices(table, sort_keys=[(key, "ascending") for key in spec.sort_by]))
    if spec.partition_by_month:
        months = month_labels(table[spec.time_column or "ts"])
        table = table.append_column(pa.field(MONTH, pa.string(), nullable=False), months)
    return table


def _arrow_columns(frame: pd.DataFrame | pa.Table, spec: TableSpec, missing: list[str]) -> pa.Table:
    """The declared columns of ``frame`` as Arrow; absent nullable ones are nulls (nothing to say there)."""
    if isinstance(frame, pd.DataFrame):
        present = [name for name in spec.schema.names if name not in missing]
        # One thread: starting the conversion's thread pool costs more than it saves on a few columns.
        frame = pa.Table.from_pandas(frame[present], preserve_index=False, nthreads=1)
    for name in missing:
        frame = frame.append_column(name, pa.nulls(frame.num_rows, spec.schema.field(name).type))
    return frame.select(spec.schema.names)


def is_sorted(table: pa.Table, keys: Sequence[str]) -> bool:
    """Whether ``table``'s rows are in ascending lexicographic order of ``keys`` (nulls are not checked)."""
    if table.num_rows < 2:
        return True
    tied: pa.ChunkedArray | None = None  # adjacent pairs whose earlier keys are all equal
    for key in keys:
        column = table[key]
        before, after = column.slice(0, table.num_rows - 1), column.slice(1)
        descending = pc.greater(before, after)
        if tied is not None:
            descending = pc.and_(descending, tied)
        if pc.any(descending).as_py():
            return False
        equal = pc.equal(before, after)
        tied = equal if tied is None else pc.and_(tied, equal)
        if not pc.any(tied).as_py():
            return True
    return True


def check_inside(data: pa.Table, spec: TableSpec, where: Slice) -> None:
    """Fail when a row of ``data`` lies outside the slice the write owns.

    Raises:
        ValueError: Naming how many rows lie outside.
    """
    if data.num_rows == 0:
        return
    inside = pa.chunked_array([pa.array(np.ones(data.num_rows, dtype=bool))])
    for column, value in where.equals.items():
        inside = pc.and_kleene(inside, pc.equal(data[column], pa.scalar(value, type=data[column].type)))
    for column, values in where.among.items():
        inside = pc.and_kleene(inside, pc.is_in(data[column], pa.array(list(values), type=data[column].type)))
    if spec.time_column and where.start is not None:
        inside = pc.and_kleene(inside, pc.greater_equal(data[spec.time_column], _ts_scalar(where.start)))
    if spec.time_column and where.end is not None:
        inside = pc.and_kleene(inside, pc.less(data[spec.time_column], _ts_scalar(where.end)))
    if spec.has_series and where.series is not None:
        inside = pc.and_kleene(inside, pc.is_in(data["series_id"], pa.array(list(where.series), type=pa.string())))
    outside = data.num_rows - pc.sum(pc.fill_null(inside, False)).as_py()
    if outside:
        raise ValueError(f"{outside} rows of the write to {spec.name!r} lie outside its slice {where}")


def _ts_scalar(moment: datetime) -> pa.Scalar:
    return pa.scalar(pd.Timestamp(moment), type=_ts_type())


def month_labels(stamps: pa.ChunkedArray) -> pa.Array:
    """``YYYY-MM`` of each timestamp: month numbers in numpy, then one Arrow take from the few labels."""
    micros = stamps.cast(pa.timestamp("us")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    months = micros.view("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    if not len(months):
        return pa.array([], type=pa.string())
    first = int(months.min())
    labels = pa.array([str(np.datetime64(month, "M")) for month in range(first, int(months.max()) + 1)],
                      type=pa.string())
    return pc.take(labels, pa.array(months - first, type=pa.int32()))
