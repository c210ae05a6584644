"""Naive wall-clock times to UTC, each series in its own source timezone."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from sparkhu.ingest.reasons import add_reason

_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Z"})


def to_utc(times: np.ndarray, aware: np.ndarray, codes: np.ndarray, zones: Sequence[str],
           reasons: np.ndarray) -> np.ndarray:
    """UTC instants of points whose naive times are read in their series' timezone.

    Local times that do not exist (skipped by a spring-forward change) or exist twice (repeated by a
    fall-back change) cannot be placed on the UTC axis without guessing; they are rejected with that
    reason instead.

    Args:
        times: ``datetime64[ns]`` wall-clock (naive points) or UTC (aware points) times.
        aware: Points already in UTC.
        codes: Series code of each point (-1: none).
        zones: Timezone of each code, plus one last entry used for code -1.
        reasons: Rejection reasons, extended in place.

    Returns:
        ``datetime64[ns]`` UTC times (NaT where a point cannot be placed).

    """
    result = times.copy()
    zone_of_point = np.asarray(zones, dtype=object)[codes]
    naive = ~aware & ~np.isnat(times)
    for zone in pd.unique(zone_of_point[naive]):
        if zone in _UTC_NAMES:
            continue
        where = naive & (zone_of_point == zone)
        result[where] = _localize(times[where], str(zone), reasons, where)
    return result


def _localize(wall: np.ndarray, zone: str, reasons: np.ndarray, where: np.ndarray) -> np.ndarray:
    """UTC of wall-clock times in ``zone``; failures get a reason and NaT."""
    if not known_zone(zone):
        add_reason(reasons, where, f"timezone {zone!r} of the series is not a known IANA timezone")
        return np.full(wall.size, np.datetime64("NaT", "ns"))
    local = pd.DatetimeIndex(wall).tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    failed = local.isna()
    if failed.any():
        add_reason(reasons, _subset(where, failed), _dst_reasons(wall[failed], zone))
    return local.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _subset(where: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Mask over all points of the ``inner`` positions among the points selected by ``where``."""
    mask = np.zeros(where.size, dtype=bool)
    mask[np.flatnonzero(where)[inner]] = True
    return mask


def _dst_reasons(wall: np.ndarray, zone: str) -> np.ndarray:
    """Tell a local time skipped by a DST change from one that occurs twice."""
    retried = pd.DatetimeIndex(wall).tz_localize(zone, ambiguous=np.ones(wall.size, dtype=bool),
                                                 nonexistent="NaT")
    return np.where(retried.isna(), f"local time does not exist in {zone} (DST change)",
                    f"local time occurs twice in {zone} (DST change); give an explicit UTC offset")


@lru_cache(maxsize=256)
def known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA timezone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
