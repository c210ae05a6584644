"""What the user asked for: the layout of the files and how to read their time and value columns."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sparkhu.ingest.errors import IngestUsageError

DEFAULT_SERIES_COLUMN = "series_id"


class Layout(enum.Enum):
    """How series are laid out in a file."""

    LONG = "long"  # one row per point, a column names the series
    SINGLE = "single"  # the whole file is one series, named on the command line
    WIDE = "wide"  # one column per series beside a shared time column


@dataclass(frozen=True)
class IngestOptions:
    """Options of one ingestion run.

    Attributes:
        series_column: Column naming the series (long layout). When no layout is chosen at all, the long
            layout with column ``series_id`` is assumed.
        series_id: Name of the only series of each file (single-series layout).
        wide: Every non-time column is a series named after the column.
        series_prefix: Text put before every series id (useful with ``wide``).
        time_column: Column holding the timestamps.
        value_column: Column holding the values (long and single layouts).
        time_format: ``strptime`` format of the timestamps; None reads ISO 8601 text, or epoch numbers.
        timezone: Timezone of naive timestamps for series that the registry gives none; None means UTC.
        strict: Reject rows of unregistered series to quarantine instead of registering the series.

    """

    series_column: str | None = None
    series_id: str | None = None
    wide: bool = False
    series_prefix: str = ""
    time_column: str = "timestamp"
    value_column: str = "value"
    time_format: str | None = None
    timezone: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        chosen = [flag for flag, on in (("--series-column", self.series_column is not None),
                                        ("--series-id", self.series_id is not None),
                                        ("--wide", self.wide)) if on]
        if len(chosen) > 1:
            raise IngestUsageError(f"choose one layout, not {' and '.join(chosen)}")
        if self.series_id is not None and not self.series_id.strip():
            raise IngestUsageError("--series-id must not be empty")
        if not self.time_column:
            raise IngestUsageError("--time-column must not be empty")
        if self.time_format is not None and "%" not in self.time_format:
            raise IngestUsageError(f"--time-format {self.time_format!r} has no strptime directive such as %Y")
        if self.timezone is not None:
            check_timezone(self.timezone, "--timezone")

    @property
    def layout(self) -> Layout:
        """The layout in force."""
        if self.wide:
            return Layout.WIDE
        return Layout.SINGLE if self.series_id is not None else Layout.LONG

    @property
    def series_key(self) -> str:
        """The series column of the long layout."""
        return self.series_column or DEFAULT_SERIES_COLUMN

    @property
    def default_timezone(self) -> str:
        """Timezone of naive timestamps of series without a registered one."""
        return self.timezone or "UTC"


def check_timezone(name: str, what: str) -> None:
    """Raise ``IngestUsageError`` when ``name`` is not an IANA timezone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise IngestUsageError(f"{what} {name!r} is not a known IANA timezone (e.g. Europe/Paris)") from None
