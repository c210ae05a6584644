"""Text of the values shown in report tables."""

from __future__ import annotations

import math
from numbers import Real
from typing import TypeGuard

import numpy as np
import pandas as pd

MISSING = "—"


def number(value: object) -> str:
    """A number for a table cell: integers with thousands separators, others to 4 significant digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if not _is_number(value):
        return MISSING  # None, NaN, NA, NaT
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:.4g}"


def _is_number(value: object) -> TypeGuard[Real]:
    """Whether ``value`` is a real number other than NaN."""
    return isinstance(value, Real) and not math.isnan(float(value))


def instant(value: object) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` UTC (seconds when present)."""
    if value is None or pd.isna(value):
        return MISSING
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second or stamp.microsecond else "%Y-%m-%d %H:%M")


def seconds(value: float) -> str:
    """A duration: milliseconds below one second, then seconds, then minutes."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{value / 60:.1f} min"


def period(value: object) -> str:
    """A sampling period in seconds as the largest whole unit (``60`` -> ``1 min``)."""
    if not _is_number(value):
        return MISSING
    total = float(value)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if total >= size and (total / size).is_integer():
            return f"{int(total // size)} {unit}"
    return f"{total:g} s"


def key_values(values: dict[str, float], limit: int = 8) -> str:
    """``k=v`` pairs, at most ``limit`` of them, then how many were left out."""
    items = [f"{key}={number(value)}" for key, value in sorted(values.items())]
    shown = ", ".join(items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "") if items else MISSING


#: Units a duration is shown in, largest first: ``(seconds, name)``.
DURATION_UNITS = ((86400.0, "d"), (3600.0, "h"), (60.0, "min"), (1.0, "s"))


def duration_unit(value: float) -> tuple[float, str]:
    """The largest unit that ``value`` seconds fill at least once (seconds below a second).

    Args:
        value: A duration in seconds (its sign is ignored).

    Returns:
        The unit's size in seconds and its name (``(3600.0, "h")``).
    """
    return next(((size, name) for size, name in DURATION_UNITS if abs(value) >= size), DURATION_UNITS[-1])


def duration(value: object) -> str:
    """A signed duration in seconds in the largest unit it fills (``5400`` -> ``1.5 h``, ``-900`` -> ``-15 min``)."""
    if not _is_number(value):
        return MISSING
    total = float(value)
    size, unit = duration_unit(total)
    return f"{total / size:.3g} {unit}"


def counted(value: int, noun: str) -> str:
    """A count with its noun, plural unless one (``1 pair``, ``2,880 pairs``)."""
    return f"{value:,} {noun}{'' if value == 1 else 's'}"
