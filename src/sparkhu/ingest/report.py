"""What an ingestion run did, per file and in total."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class FileReport:
    """Outcome of one file.

    Attributes:
        path: The file.
        format: Its format (``csv``, ``parquet``, ``jsonl``).
        source: Content hash (the slice key of its rows), None when the file could not be read.
        accepted: Points written to ``raw``.
        quarantined: Rows written to ``quarantine`` (bad points and unparseable lines).
        series: Distinct series among the accepted points.
        new_series: Series registered by this file.
        start: Earliest accepted timestamp (UTC).
        end: Latest accepted timestamp (UTC).
        error: Why the file could not be read at all, if so.
        duplicate_of: An earlier file of the run with the same content (this one was skipped).
        seconds: Time spent on the file.
        notes: Remarks about how the file was read (epoch unit, timezones used).

    """

    path: Path
    format: str
    source: str | None = None
    accepted: int = 0
    quarantined: int = 0
    series: int = 0
    new_series: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    error: str | None = None
    duplicate_of: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """Outcome of a run: one report per file, and warnings about the run as a whole."""

    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Points written to ``raw`` in total."""
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        """Rows written to ``quarantine`` in total."""
        return sum(f.quarantined for f in self.files)

    @property
    def new_series(self) -> list[str]:
        """Series registered during the run."""
        return sorted({s for f in self.files for s in f.new_series})

    @property
    def failed_files(self) -> list[FileReport]:
        """Files that could not be read at all."""
        return [f for f in self.files if f.error is not None]

    @property
    def seconds(self) -> float:
        """Time spent on all files."""
        return sum(f.seconds for f in self.files)

    @property
    def usable(self) -> bool:
        """Whether anything was accepted."""
        return self.accepted > 0
