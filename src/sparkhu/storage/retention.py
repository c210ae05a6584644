"""The lake as a retention store: month partitions of a Delta table, archived, downsampled and deleted.

Units are month partitions (whole partitions are deleted by a metadata-only commit). A deleting chain with
an age rule splits the month that straddles the cutoff into its older part (deleted by row predicate) and
its younger part (kept). A unit's fingerprint is the set of its partition's data files: Delta files never
change, so the same set means the same rows, and a write since the plan (late data, a rerun) changes it.

Deleting is two stages, as in Delta itself: ``delete`` commits a new version without the rows (readable
through time travel until vacuumed), and ``reclaim`` vacuums files removed more than the retention window
(:data:`~sparkhu.retention.policy.MIN_AGE_HOURS`) ago.

Copies carry an ``_archive_tag`` column (``plan-id/unit-key``): rewriting a tag replaces that copy, so a
rerun after a crash never duplicates archived rows.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, QueryBuilder, write_deltalake
from deltalake.exceptions import TableNotFoundError

from sparkhu.durations import format_duration
from sparkhu.retention.policy import MIN_AGE_HOURS, Downsample, Scope
from sparkhu.retention.store import Receipt, Reclaim, StoreError, Unit, UnitChanged
from sparkhu.storage.lake import Lake, _iso, _sql_literal
from sparkhu.storage.tables import MONTH, TABLES, TableSpec

TAG = "_archive_tag"
AGE_COLUMNS = {"quarantine": "quarantined_at"}
"""Tables whose age is not their time column (a quarantined row ages from when it was rejected)."""


class LakeStore:
    """Retention over the Delta tables of one lake (``quarantine`` is the same store on its table).

    Args:
        lake: The lake.
        name: The store name policies use (``lake`` or ``quarantine``).
        vacuum_window_hours: How long deleted files stay readable (time travel) before a vacuum removes
            them; tests and benchmarks shorten it to see the second stage at once.
    """

    def __init__(self, lake: Lake, name: str = "lake", vacuum_window_hours: float = MIN_AGE_HOURS) -> None:
        self.lake = lake
        self.name = name
        self.vacuum_window_hours = vacuum_window_hours

    def units(self, scope: Scope, cutoff: datetime | None, deletes: bool, series: list[str] | None,
              held_series: list[str]) -> list[Unit]:
        """Month partitions of the scope's table, oldest first, split at ``cutoff`` when a chain deletes."""
        spec = self._spec(scope)
        table = self.lake.table(spec.name)
        if table is None:
            return []
        filters = _series_clauses(series, held_series)
        split = cutoff if deletes else None
        counts = _month_counts(table, spec, _age_column(spec), series, held_series, split)
        files = _month_files(table, spec)
        units = []
        for row in counts:
            month_files = files.get(row["month"], [])
            units += _month_units(spec, row, month_files, filters, split)
        return sorted(units, key=lambda unit: (unit.newest, unit.key))

    def fingerprint(self, unit: Unit) -> str:
        """The data files of the unit's partition now."""
        table = self.lake.table(unit.target)
        if table is None:
            return _fingerprint([])
        return _fingerprint([path for path, _, _ in _month_files(table, TABLES[unit.target]).get(
            unit.detail.get("month", ""), [])])

    def remaining(self, unit: Unit) -> int:
        """Rows of the unit still in the table."""
        table = self.lake.table(unit.target)
        return 0 if table is None else _count(table, unit.detail["predicate"])

    def archive(self, unit: Unit, location: str | None, tag: str) -> Receipt:
        """Copy the unit's rows to the archive table and verify the copy by count and checksum."""
        uri = location or f"{self.lake.root}/_archive/{unit.target}"
        rows = self._rows(unit)
        expected = _checksum(rows)
        data = rows.append_column(TAG, pa.array([tag] * rows.num_rows, pa.string()))
        spec = TABLES[unit.target]
        self._write_copy(uri, data, tag, spec.partition_by)
        receipt = Receipt(location=uri, rows=rows.num_rows, checksum=expected, detail={"tag": tag})
        if not self.verify(unit, receipt):
            raise StoreError(f"the archive copy of {unit.target} {unit.key} at {uri} does not verify")
        return receipt

    def verify(self, unit: Unit, receipt: Receipt) -> bool:
        """Whether the copy of ``receipt`` has the same rows (count and checksum)."""
        copy = _open(receipt.location, self.lake.storage_options)
        if copy is None:
            return False
        tag = receipt.detail["tag"]
        found = _query(copy, f"SELECT * FROM t WHERE {TAG} = {_sql_literal(tag)}").drop_columns([TAG])
        if "source_rows" in receipt.detail and pc.sum(found["rows"]).as_py() != receipt.detail["source_rows"]:
            return False
        return found.num_rows == receipt.rows and _checksum(found) == receipt.checksum

    def downsample(self, unit: Unit, action: Downsample, tag: str) -> Receipt:
        """Aggregate the unit's ``value`` per series and period into the long-term table, and verify it."""
        spec = TABLES[unit.target]
        if not {"series_id", "value"} <= set(spec.schema.names) or spec.time_column is None:
            raise StoreError(f"table {unit.target} has no series_id, time and value columns to downsample")
        uri = action.to or f"{self.lake.root}/_downsampled/{unit.target}_{format_duration(action.period)}"
        aggregated = aggregate(self._rows(unit), spec.time_column, action)
        data = aggregated.append_column(TAG, pa.array([tag] * aggregated.num_rows, pa.string()))
        self._write_copy(uri, data, tag, [MONTH])
        receipt = Receipt(location=uri, rows=aggregated.num_rows, checksum=_checksum(aggregated),
                          detail={"tag": tag, "source_rows": unit.rows})
        if not self.verify(unit, receipt):
            raise StoreError(f"the downsampled copy of {unit.target} {unit.key} at {uri} does not verify")
        return receipt

    def delete(self, unit: Unit) -> int:
        """Delete the unit's rows in one commit (metadata only for a whole partition)."""
        with self.lake.lock(unit.target):
            table = self.lake.table(unit.target)
            if table is None:
                return 0
            now = self.fingerprint(unit)
            if now != unit.fingerprint:
                raise UnitChanged(f"{unit.target} {unit.key}: its files changed since the plan")
            metrics = table.delete(unit.detail["predicate"])
        return int(metrics.get("num_deleted_rows", 0) or 0)

    def reclaimable(self, target: str) -> Reclaim:
        """Files that a vacuum would remove now (deleted more than the window ago), and their bytes."""
        return self._vacuum(target, dry_run=True)

    def reclaim(self, target: str) -> Reclaim:
        """Vacuum ``target``: remove files deleted more than the retention window ago."""
        return self._vacuum(target, dry_run=False)

    def size(self, target: str) -> tuple[int, int]:
        """Rows and bytes of the table's current version."""
        table = self.lake.table(target)
        if table is None:
            return 0, 0
        actions = pa.table(table.get_add_actions(flatten=True))
        return int(pc.sum(actions["num_records"]).as_py() or 0), int(pc.sum(actions["size_bytes"]).as_py() or 0)

    def version(self, target: str) -> str | None:
        """The table's Delta version."""
        table = self.lake.table(target)
        return None if table is None else str(table.version())

    def _spec(self, scope: Scope) -> TableSpec:
        name = "quarantine" if self.name == "quarantine" else scope.table
        if name not in TABLES:
            raise StoreError(f"unknown lake table {name!r}; known: {', '.join(sorted(TABLES))}")
        return TABLES[name]

    def _rows(self, unit: Unit) -> pa.Table:
        table = self.lake.table(unit.target)
        if table is None:
            raise StoreError(f"table {unit.target} does not exist")
        return _query(table, f"SELECT * FROM t WHERE {unit.detail['predicate']}")

    def _write_copy(self, uri: str, data: pa.Table, tag: str, partition_by: list[str]) -> None:
        """Replace the rows of ``tag`` in the copy table ``uri`` (created on first use)."""
        existing = _open(uri, self.lake.storage_options)
        if existing is None:
            write_deltalake(uri, data, mode="append", partition_by=partition_by or None,
                            storage_options=self.lake.storage_options)
            return
        write_deltalake(existing, data, mode="overwrite", predicate=f"{TAG} = {_sql_literal(tag)}",
                        partition_by=partition_by or None)

    def _vacuum(self, target: str, dry_run: bool) -> Reclaim:
        table = self.lake.table(target)
        if table is None:
            return Reclaim(target=target, files=0, bytes=0)
        local = _is_local(table.table_uri)
        enforce = self.vacuum_window_hours >= MIN_AGE_HOURS
        # A dry run lists the log's tombstones, also those already vacuumed: locally the files that still
        # exist are what a vacuum frees; on an object store a full listing finds them.
        files = table.vacuum(retention_hours=int(self.vacuum_window_hours), dry_run=dry_run,
                             enforce_retention_duration=enforce, full=dry_run and not local)
        sizes = [_local_size(table.table_uri, path) for path in files] if dry_run and local else []
        if dry_run and local:
            files = [path for path, size in zip(files, sizes, strict=True) if size is not None]
        return Reclaim(target=target, files=len(files), bytes=sum(size or 0 for size in sizes),
                       detail={"dry_run": dry_run})


def aggregate(rows: pa.Table, time_column: str, action: Downsample) -> pa.Table:
    """``value`` aggregated per series and ``action.period`` bucket (buckets aligned on the Unix epoch).

    Returns:
        Columns ``series_id, ts`` (bucket start), ``period_s``, one ``value_<aggregate>`` per aggregate,
        ``rows`` (source rows per bucket, NaN values included) and ``month``.
    """
    frame = rows.select(["series_id", time_column, "value"]).to_pandas()
    step = pd.Timedelta(seconds=action.period)
    epoch = pd.Timestamp(0, tz="UTC")
    frame["bucket"] = epoch + ((frame[time_column] - epoch) // step) * step
    grouped = frame.groupby(["series_id", "bucket"], sort=True)["value"]
    out = pd.DataFrame({f"value_{name}": getattr(grouped, name)() for name in action.aggregates})
    out["rows"] = grouped.size().astype("int64")
    out = out.reset_index().rename(columns={"bucket": "ts"})
    out.insert(2, "period_s", float(action.period))
    out["month"] = out["ts"].dt.strftime("%Y-%m")
    for name in action.aggregates:
        out[f"value_{name}"] = out[f"value_{name}"].astype("int64" if name == "count" else "float64")
    return _canonical(pa.Table.from_pandas(out, preserve_index=False))


def _age_column(spec: TableSpec) -> str:
    column = AGE_COLUMNS.get(spec.name, spec.time_column)
    if column is None:
        raise StoreError(f"table {spec.name} has no time column: a policy cannot measure its age")
    return column


def _series_clauses(series: list[str] | None, held: list[str]) -> list[str]:
    """SQL clauses restricting a predicate to the selected series and away from held ones."""
    clauses = []
    if series is not None:
        clauses.append(f"series_id IN ({', '.join(_sql_literal(s) for s in series) or 'NULL'})")
    if held:
        clauses.append(f"series_id NOT IN ({', '.join(_sql_literal(s) for s in held)})")
    return clauses


def _month_counts(table: DeltaTable, spec: TableSpec, age: str, series: list[str] | None, held: list[str],
                  cutoff: datetime | None) -> list[dict[str, Any]]:
    """Per month: rows and newest age, and (with a cutoff) the rows and newest age before it."""
    month = MONTH if spec.partition_by_month else None
    select = f"{month} AS month" if month else "'' AS month"
    where = " AND ".join(_series_clauses(series, held)) or "TRUE"
    before = f"{age} < {_timestamp(cutoff)}" if cutoff is not None else "FALSE"
    sql = (f"SELECT {select}, COUNT(*) AS rows, MAX({age}) AS newest, "
           f"SUM(CASE WHEN {before} THEN 1 ELSE 0 END) AS old_rows, "
           f"MAX(CASE WHEN {before} THEN {age} END) AS old_newest "
           f"FROM t WHERE {where} GROUP BY 1 ORDER BY 1")
    return [row for row in _query(table, sql).to_pylist() if row["rows"]]


def _month_files(table: DeltaTable, spec: TableSpec) -> dict[str, list[tuple[str, int, int]]]:
    """Data files (path, bytes, rows) per month partition (one ``''`` entry for an unpartitioned table)."""
    actions = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    months = actions.get(f"partition.{MONTH}") if spec.partition_by_month else None
    files: dict[str, list[tuple[str, int, int]]] = {}
    for index, path in enumerate(actions["path"]):
        entry = (path, int(actions["size_bytes"][index]), int(actions["num_records"][index] or 0))
        files.setdefault(months[index] if months else "", []).append(entry)
    return files


def _month_units(spec: TableSpec, row: dict[str, Any], files: list[tuple[str, int, int]], filters: list[str],
                 cutoff: datetime | None) -> list[Unit]:
    """The month (or its selected series) as one unit, or as its part before ``cutoff`` and its part from it."""
    month = row["month"]
    base = ([f"{MONTH} = {_sql_literal(month)}"] if spec.partition_by_month else []) + filters
    fingerprint = _fingerprint([path for path, _, _ in files])
    total_bytes = sum(size for _, size, _ in files)
    month_rows = sum(rows for _, _, rows in files) or row["rows"]
    name = f"month={month}" if month else "all"
    if cutoff is None or row["old_rows"] in (0, row["rows"]):
        return [_unit(spec, name, row["newest"], row["rows"], month_rows, total_bytes, files, fingerprint, base,
                      month)]
    age = _age_column(spec)
    older = _unit(spec, f"{name};before={_iso(cutoff)}", row["old_newest"], row["old_rows"], month_rows,
                  total_bytes, files, fingerprint, [*base, f"{age} < {_timestamp(cutoff)}"], month)
    younger = _unit(spec, f"{name};from={_iso(cutoff)}", row["newest"], row["rows"] - row["old_rows"], month_rows,
                    total_bytes, files, fingerprint, [*base, f"{age} >= {_timestamp(cutoff)}"], month)
    return [older, younger]


def _unit(spec: TableSpec, key: str, newest: datetime, rows: int, month_rows: int, month_bytes: int,
          files: list[tuple[str, int, int]], fingerprint: str, clauses: list[str], month: str) -> Unit:
    """A unit whose bytes are its share of the partition's bytes by rows."""
    share = rows / month_rows if month_rows else 0.0
    return Unit(key=key, target=spec.name, newest=pd.Timestamp(newest).to_pydatetime(), rows=int(rows),
                bytes=round(month_bytes * share), files=len(files), fingerprint=fingerprint,
                detail={"predicate": " AND ".join(clauses) or "TRUE", "month": month}, group=f"month={month}")


def _timestamp(moment: datetime) -> str:
    """A timestamp literal both Delta's delete and its SQL queries compare with a UTC microsecond column."""
    return f"'{_iso(moment)}'"


def _fingerprint(paths: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(paths)).encode()).hexdigest()[:16]


def _query(table: DeltaTable, sql: str) -> pa.Table:
    """The result of ``sql`` over ``table`` registered as ``t``."""
    return pa.table(QueryBuilder().register("t", table).execute(sql).read_all())


def _count(table: DeltaTable, predicate: str) -> int:
    return int(_query(table, f"SELECT COUNT(*) AS n FROM t WHERE {predicate}")["n"][0].as_py())


def _checksum(rows: pa.Table) -> str:
    """Order-independent checksum of rows: count and the wrapping sum of per-row hashes (columns by name)."""
    if rows.num_rows == 0:
        return "0:0000000000000000"
    frame = _canonical(rows.select(sorted(rows.column_names))).to_pandas()
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    return f"{rows.num_rows}:{int(np.sum(hashes, dtype=np.uint64)):016x}"


def _canonical(rows: pa.Table) -> pa.Table:
    """Timestamps in UTC microseconds and text as plain strings, as Delta stores them (a copy hashes alike)."""
    fields = []
    for item in rows.schema:
        kind = item.type
        if pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz="UTC")
        elif pa.types.is_large_string(kind) or pa.types.is_string_view(kind) or pa.types.is_dictionary(kind):
            kind = pa.string()
        fields.append(pa.field(item.name, kind))
    return rows.cast(pa.schema(fields))


def _open(uri: str, storage_options: dict[str, str] | None) -> DeltaTable | None:
    try:
        return DeltaTable(uri, storage_options=storage_options)
    except TableNotFoundError:
        return None


def _is_local(table_uri: str) -> bool:
    return "://" not in table_uri or table_uri.startswith("file://")


def _local_size(table_uri: str, path: str) -> int | None:
    """Bytes of a data file of a local table (None: it is gone)."""
    root = table_uri.removeprefix("file://")
    full = path if os.path.isabs(path) else os.path.join(root, path)
    try:
        return os.path.getsize(full)
    except OSError:
        return None
