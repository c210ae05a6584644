"""Ingestion: read raw CSV, Parquet and JSON-lines files into the lake's ``raw`` table.

Rows that cannot be read go to the ``quarantine`` table with their file, line and reason; nothing is
dropped silently. Each file is written as one slice keyed by its content hash, so ingesting the same
file twice replaces its own rows instead of duplicating them.
"""

from sparkhu.ingest.discover import Discovery, SourceFile, discover
from sparkhu.ingest.errors import FileLevelError, IngestUsageError
from sparkhu.ingest.loader import ingest_files, ingest_paths
from sparkhu.ingest.options import IngestOptions, Layout
from sparkhu.ingest.report import FileReport, IngestReport

__all__ = [
    "Discovery",
    "FileLevelError",
    "FileReport",
    "IngestOptions",
    "IngestReport",
    "IngestUsageError",
    "Layout",
    "SourceFile",
    "discover",
    "ingest_files",
    "ingest_paths",
]
