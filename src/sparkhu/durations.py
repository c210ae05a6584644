"""Parse a declared duration (seconds, ``"5min"``, ``"1h30min"``, ISO 8601 ``"PT15M"``) into seconds."""

from __future__ import annotations

import math
import re

# Unit spellings accepted in compact texts such as "5min" or "1h 30m", with their length in seconds.
_UNIT_NAMES: dict[float, tuple[str, ...]] = {
    0.001: ("ms",),
    1.0: ("s", "sec", "secs", "second", "seconds"),
    60.0: ("m", "min", "mins", "minute", "minutes"),
    3600.0: ("h", "hr", "hrs", "hour", "hours"),
    86400.0: ("d", "day", "days"),
    604800.0: ("w", "week", "weeks"),
}
_UNIT_SECONDS = {name: length for length, names in _UNIT_NAMES.items() for name in names}
_COMPACT_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*")
# ISO 8601 durations without years and months, whose length in seconds is not fixed.
_ISO = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_ISO_SECONDS = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0}


def parse_duration(value: str | float | int) -> float:
    """Length of a duration in seconds.

    Args:
        value: A number of seconds, a numeric text (``"300"``), a compact text (``"5min"``, ``"1h30m"``,
            ``"2 days"``) or an ISO 8601 duration (``"PT15M"``, ``"P1D"``; years and months are refused
            because their length varies).

    Returns:
        The duration in seconds, strictly positive and finite.

    Raises:
        ValueError: The value is not a duration, or is zero, negative or infinite.

    """
    if isinstance(value, bool):
        raise ValueError("expected a duration, got a boolean")
    seconds = float(value) if isinstance(value, int | float) else _parse_text(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be positive and finite, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Compact text of a duration in seconds (``300`` -> ``"5min"``; fractions stay in seconds)."""
    for unit, length in (("w", 604800), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length and seconds % length == 0:
            return f"{int(seconds // length)}{unit}"
    return f"{seconds:g}s"


def _parse_text(text: str) -> float:
    """Seconds of a numeric, compact or ISO 8601 duration text."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("expected a duration, got an empty text")
    try:
        return float(cleaned)
    except ValueError:
        pass
    if cleaned[0] in "pP":
        return _parse_iso(cleaned.upper(), text)
    return _parse_compact(cleaned.lower(), text)


def _parse_iso(text: str, original: str) -> float:
    """Seconds of an ISO 8601 duration such as ``PT15M`` or ``P1DT12H``."""
    match = _ISO.fullmatch(text)
    if match is None or not any(match.groupdict().values()) or text.endswith("T"):
        raise ValueError(
            f"{original!r} is not an ISO 8601 duration this registry accepts (e.g. PT15M, PT1H, P1D; "
            "years and months have no fixed length)"
        )
    return sum(float(amount) * _ISO_SECONDS[part] for part, amount in match.groupdict().items() if amount)


def _parse_compact(text: str, original: str) -> float:
    """Seconds of a compact duration such as ``5min``, ``1h30m`` or ``2 days``."""
    total, position = 0.0, 0
    for match in _COMPACT_PART.finditer(text):
        if match.start() != position or match.group(2) not in _UNIT_SECONDS:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(text) or position == 0:
        raise ValueError(
            f"{original!r} is not a duration: use seconds (300), a number and unit (5min, 1h, 2d, 1h30min) "
            "or ISO 8601 (PT15M)"
        )
    return total
