"""Writes to the ``quarantine`` table for one file's slice (stage ``ingest``, source = content hash)."""

from __future__ import annotations

import pandas as pd

from sparkhu.ingest.frames import STAGE, Origin, file_error_frame
from sparkhu.storage.lake import Lake, Slice


def source_slice(source: str) -> Slice:
    """The quarantine slice owned by one file's ingestion."""
    return Slice(equals={"stage": STAGE, "source": source})


def write_rows(lake: Lake, rows: pd.DataFrame, source: str) -> None:
    """Replace the file's quarantine slice with ``rows`` (an empty frame clears it)."""
    lake.replace("quarantine", rows, source_slice(source))


def write_file_error(lake: Lake, reason: str, origin: Origin) -> None:
    """Record that a file could not be read, keeping the row-level rows of an earlier good ingestion.

    A failed attempt (e.g. a wrong ``--time-column``) leaves the file's ``raw`` rows untouched, so the
    quarantine rows that explain them are kept too; only this path's earlier file-level error is replaced.
    """
    where = source_slice(origin.source)
    previous = lake.read("quarantine", where)
    stale = previous["line"].isna() & (previous["file"] == origin.file)
    kept = previous[~stale]
    error = file_error_frame(reason, origin)
    rows = pd.concat([kept, error], ignore_index=True) if len(kept) else error
    lake.replace("quarantine", rows, where)
