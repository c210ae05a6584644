"""The raw-data loader: files in, ``raw`` and ``quarantine`` slices out, unknown series registered."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sparkhu.config import Settings
from sparkhu.ingest.columns import wanted_columns
from sparkhu.ingest.discover import Discovery, SourceFile, discover
from sparkhu.ingest.errors import FileLevelError
from sparkhu.ingest.formats import is_gzip
from sparkhu.ingest.frames import Origin, quarantine_frame, raw_frame
from sparkhu.ingest.localize import to_utc
from sparkhu.ingest.options import IngestOptions
from sparkhu.ingest.points import Points, build_points
from sparkhu.ingest.quarantine import write_file_error, write_rows
from sparkhu.ingest.rawtable import RawTable
from sparkhu.ingest.readers import read_raw
from sparkhu.ingest.reasons import add_reason, ok_rows
from sparkhu.ingest.registry import register_series, registered_timezones
from sparkhu.ingest.report import FileReport, IngestReport
from sparkhu.storage.lake import Lake, Slice

OnFile = Callable[[FileReport], None]


@dataclass(frozen=True)
class _Run:
    """What every file of a run shares."""

    options: IngestOptions
    settings: Settings
    lake: Lake
    at: pd.Timestamp


def ingest_paths(paths: Sequence[str | Path], options: IngestOptions, settings: Settings,
                 on_file: OnFile | None = None) -> IngestReport:
    """Ingest files, folders and globs into the lake.

    Args:
        paths: Files, folders (walked recursively) and globs.
        options: Layout and parsing options.
        settings: Where the lake and the metadata database are.
        on_file: Called after each file (e.g. to advance a progress bar).

    Returns:
        Per-file counts and the run's warnings.

    Raises:
        IngestUsageError: A path does not exist or matches no supported file.

    """
    return ingest_files(discover(paths), options, settings, on_file)


def ingest_files(discovery: Discovery, options: IngestOptions, settings: Settings,
                 on_file: OnFile | None = None) -> IngestReport:
    """Ingest files already discovered (see ``discover``), one slice per file content."""
    run = _Run(options, settings, Lake(settings.lake, settings.storage_options), pd.Timestamp.now(tz="UTC"))
    report = IngestReport(warnings=list(discovery.warnings))
    seen: dict[str, Path] = {}
    for source in discovery.files:
        file_report = _ingest_file(source, run, seen)
        report.files.append(file_report)
        if on_file is not None:
            on_file(file_report)
    return report


def content_hash(payload: bytes) -> str:
    """The slice key of a file: ``sha256:`` and the first 16 hex digits of its bytes' SHA-256."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()[:16]


def _ingest_file(source: SourceFile, run: _Run, seen: dict[str, Path]) -> FileReport:
    started = time.perf_counter()
    report = FileReport(path=source.path, format=source.format.value)
    try:
        payload = source.path.read_bytes()
    except OSError as error:
        report.error = f"cannot read the file: {error.strerror or error}"
        report.seconds = time.perf_counter() - started
        return report
    report.source = content_hash(payload)
    if report.source in seen:
        report.duplicate_of = seen[report.source]
    else:
        seen[report.source] = source.path
        _load(payload, source, run, report)
    report.seconds = time.perf_counter() - started
    return report


def _load(payload: bytes, source: SourceFile, run: _Run, report: FileReport) -> None:
    """Parse, check and write one file, filling ``report``."""
    origin = Origin(source=report.source or "", file=str(source.path), at=run.at)
    try:
        raw = read_raw(payload, source.format, wanted_columns(run.options), gzipped=is_gzip(source.path))
        points = build_points(raw, run.options)
    except FileLevelError as error:
        report.error = str(error)
        report.quarantined = 1
        write_file_error(run.lake, str(error), origin)
        return
    utc = _place_in_time(points, run, report)
    accepted = ok_rows(points.reasons)
    run.lake.replace("raw", raw_frame(points, utc, accepted, origin), Slice(equals={"source": origin.source}))
    write_rows(run.lake, quarantine_frame(points, utc, raw, origin), origin.source)
    _fill_counts(report, points, utc, accepted, raw)
    if not run.options.strict:
        report.new_series = register_series(run.settings.database, _series_of(points, accepted),
                                            run.options.timezone)


def _place_in_time(points: Points, run: _Run, report: FileReport) -> np.ndarray:
    """UTC times of the points; rejects unknown series under ``--strict``."""
    present = _series_of(points, np.ones(len(points), dtype=bool))
    registered = registered_timezones(run.settings.database, present)
    if run.options.strict:
        unknown = np.array([name not in registered for name in points.names] + [False])
        add_reason(points.reasons, unknown[points.codes],
                   "unknown series (not in the feature registry; --strict)")
    zones = [registered.get(name) or run.options.default_timezone for name in points.names]
    report.notes.extend(_zone_notes(points, registered, run.options))
    if points.epoch_unit:
        report.notes.append(f"numeric time column read as epoch {points.epoch_unit}")
    return to_utc(points.times, points.aware, points.codes, [*zones, run.options.default_timezone],
                  points.reasons)


def _zone_notes(points: Points, registered: dict[str, str | None], options: IngestOptions) -> list[str]:
    """Say where the registry's timezone overrode an explicit ``--timezone``."""
    if options.timezone is None or points.aware.all():
        return []
    overridden = sorted(name for name, zone in registered.items() if zone and zone != options.timezone)
    if not overridden:
        return []
    shown = ", ".join(f"{name} ({registered[name]})" for name in overridden[:5])
    more = f" and {len(overridden) - 5} more" if len(overridden) > 5 else ""
    return [f"registered timezone used instead of --timezone {options.timezone} for {shown}{more}"]


def _series_of(points: Points, mask: np.ndarray) -> list[str]:
    """Names of the series that have at least one point in ``mask``."""
    codes = np.unique(points.codes[mask])
    return [points.names[code] for code in codes if code >= 0]


def _fill_counts(report: FileReport, points: Points, utc: np.ndarray, accepted: np.ndarray,
                 raw: RawTable) -> None:
    report.accepted = int(accepted.sum())
    report.quarantined = int((~accepted).sum()) + len(raw.rejects)
    report.series = len(_series_of(points, accepted))
    if report.accepted:
        times = utc[accepted]
        report.start = pd.Timestamp(times.min()).tz_localize("UTC").to_pydatetime()
        report.end = pd.Timestamp(times.max()).tz_localize("UTC").to_pydatetime()
