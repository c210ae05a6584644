"""The ingest's view of the feature registry: known series, their timezones, and new registrations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sparkhu.metadata.db import session_scope
from sparkhu.metadata.features import get_features, register_unknown

# SQLite limits the number of bound parameters of one statement; ask in batches.
_BATCH = 500


def registered_timezones(database: str, ids: Sequence[str]) -> dict[str, str | None]:
    """Registered series among ``ids`` and their source timezone (None when the registry has none)."""
    found: dict[str, str | None] = {}
    with session_scope(database) as session:
        for batch in _batches(ids):
            for series_id, feature in get_features(session, batch).items():
                found[series_id] = feature.timezone or None
    return found


def register_series(database: str, ids: Sequence[str], timezone: str | None) -> list[str]:
    """Register the ids that are not yet features (one transaction); return the new ones.

    New series get ``timezone`` as their source timezone, so that the next file of the same series is
    read in the same timezone even without ``--timezone``.
    """
    new: list[str] = []
    with session_scope(database) as session:
        for batch in _batches(ids):
            added = register_unknown(session, batch)
            if timezone:
                for feature in get_features(session, added).values():
                    feature.timezone = timezone
            new.extend(added)
    return sorted(new)


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    items = list(ids)
    for start in range(0, len(items), _BATCH):
        yield items[start: start + _BATCH]
