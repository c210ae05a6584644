"""Day-partitioned folders (``year=YYYY/month=MM/day=DD``): find the days missing from a range."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

_DAY_FOLDER = re.compile(r"year=(\d{4})/month=(\d{1,2})/day=(\d{1,2})(?:/|$)")
_SHOWN = 5


def day_partition_warnings(files: Iterable[Path]) -> list[str]:
    """Warnings about day folders missing between the first and last day of each partitioned tree.

    The 2022 loader skipped such holes silently; a missing day usually means a failed export upstream.

    Args:
        files: Files found under the given folders.

    Returns:
        One warning per tree with missing days, and one per impossible day folder (e.g. ``day=31`` in
        April).

    """
    days_by_root: dict[str, set[date]] = {}
    warnings: list[str] = []
    for path in files:
        found = _DAY_FOLDER.search(path.as_posix())
        if not found:
            continue
        root = path.as_posix()[: found.start()].rstrip("/") or "/"
        try:
            day = date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            warnings.append(f"{path.parent}: folder names an impossible day")
            continue
        days_by_root.setdefault(root, set()).add(day)
    warnings.extend(_gap_warning(root, days) for root, days in sorted(days_by_root.items())
                    if _missing(days))
    return warnings


def _missing(days: set[date]) -> list[date]:
    """Days between the first and last of ``days`` that are not in it."""
    first, last = min(days), max(days)
    span = (last - first).days + 1
    return [first + timedelta(n) for n in range(span) if first + timedelta(n) not in days]


def _gap_warning(root: str, days: set[date]) -> str:
    missing = _missing(days)
    shown = ", ".join(day.isoformat() for day in missing[:_SHOWN])
    more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
    return (f"{root}: {len(missing)} day folder(s) missing between {min(days)} and {max(days)}: "
            f"{shown}{more}")
