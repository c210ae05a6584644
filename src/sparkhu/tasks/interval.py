"""Task intervals ``[start, end)`` in UTC and shard selections ``K/N``."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from sparkhu.tasks.params import TaskInputError


@dataclass(frozen=True)
class Interval:
    """A half-open UTC time interval ``[start, end)``."""

    start: pd.Timestamp
    end: pd.Timestamp

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def parse_instant(text: str, label: str) -> pd.Timestamp:
    """An ISO-8601 instant as a UTC timestamp; naive text is read as UTC.

    Raises:
        TaskInputError: The text is not a timestamp.
    """
    try:
        moment = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise TaskInputError(f"--{label} expects an ISO-8601 time such as 2024-05-01T00:00Z, got {text!r}") from None
    if pd.isna(moment):
        raise TaskInputError(f"--{label} expects an ISO-8601 time, got {text!r}")
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def resolve_interval(start: str | None, end: str | None, now: datetime | None = None) -> Interval:
    """The task interval; empty ``start`` and ``end`` mean the previous full UTC day.

    Raises:
        TaskInputError: Only one bound given, unparseable bounds, or ``end <= start``.
    """
    if not start and not end:
        today = pd.Timestamp(now or datetime.now(UTC)).tz_convert("UTC").normalize()
        return Interval(today - timedelta(days=1), today)
    if not start or not end:
        raise TaskInputError("give both --start and --end, or neither (the previous UTC day)")
    interval = Interval(parse_instant(start, "start"), parse_instant(end, "end"))
    if interval.end <= interval.start:
        raise TaskInputError(f"--end must be after --start, got {interval}")
    return interval


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: the series whose stable hash modulo ``count`` is ``index``."""

    index: int = 0
    count: int = 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, series_id: str) -> bool:
        """Whether ``series_id`` belongs to this shard (CRC-32: stable across processes and runs)."""
        return self.count == 1 or zlib.crc32(series_id.encode()) % self.count == self.index


def parse_shard(text: str) -> Shard:
    """A shard from ``K/N`` text with ``0 <= K < N``.

    Raises:
        TaskInputError: The text is not ``K/N`` with valid numbers.
    """
    index_text, sep, count_text = text.partition("/")
    try:
        shard = Shard(int(index_text), int(count_text))
    except ValueError:
        raise TaskInputError(f"--shard expects K/N such as 0/4, got {text!r}") from None
    if not sep or shard.count < 1 or not 0 <= shard.index < shard.count:
        raise TaskInputError(f"--shard expects K/N with 0 <= K < N, got {text!r}")
    return shard
