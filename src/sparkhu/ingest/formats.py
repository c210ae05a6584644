"""File formats recognised by their extension."""

from __future__ import annotations

import enum
from pathlib import Path


class Format(enum.Enum):
    """A readable file format."""

    CSV = "csv"
    PARQUET = "parquet"
    JSONL = "jsonl"


_SUFFIXES: dict[str, Format] = {
    ".csv": Format.CSV,
    ".csv.gz": Format.CSV,
    ".parquet": Format.PARQUET,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,  # read as JSON lines: one object per line
}

SUPPORTED = ", ".join(sorted(_SUFFIXES))


def format_of(path: Path) -> Format | None:
    """The format of ``path`` from its extension (case-insensitive), or None when not supported."""
    name = path.name.lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    return None


def is_gzip(path: Path) -> bool:
    """Whether ``path`` is gzip-compressed (by extension)."""
    return path.name.lower().endswith(".gz")
