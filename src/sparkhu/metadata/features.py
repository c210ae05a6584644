"""The feature (series) registry: what each series is, its unit, range, alert levels and sampling."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, String, Text, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column

from sparkhu.metadata.db import Base

# SQLite refuses statements with more than 32766 bound parameters: look ids up in chunks.
_LOOKUP_CHUNK = 10_000


class Feature(Base):
    """One series (a sensor's feature). ``id`` is the ``series_id`` used in every lake table.

    ``origin`` names where the row last came from (``ingest``, ``file:NAME``, ``sync:SOURCE``); a sync
    uses it to find the features of its source that disappeared. ``active`` is false for such features
    when they are kept (the default) rather than deleted (``--prune``), so that their history stays
    explained.
    """

    __tablename__ = "features"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(50), default="")
    type: Mapped[str] = mapped_column(String(100), default="")
    group: Mapped[str] = mapped_column("group_name", String(200), default="")
    range_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    range_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    alert_levels: Mapped[list[float]] = mapped_column(JSON, default=list)
    period_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(500), default="manual", index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


def get_features(session: Session, ids: Iterable[str] | None = None) -> dict[str, Feature]:
    """Registered features by id (all of them when ``ids`` is None), inactive ones included."""
    if ids is None:
        return {feature.id: feature for feature in session.scalars(select(Feature))}
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Feature] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        found.update(
            (feature.id, feature) for feature in session.scalars(select(Feature).where(Feature.id.in_(chunk)))
        )
    return found


def register_unknown(session: Session, ids: Iterable[str], origin: str = "ingest") -> list[str]:
    """Register the ids that are not yet features, with default attributes; return the new ids."""
    wanted = sorted(set(ids))
    known = set(get_features(session, wanted))
    new = [series_id for series_id in wanted if series_id not in known]
    session.add_all(Feature(id=series_id, name=series_id, origin=origin) for series_id in new)
    session.flush()
    return new


def list_features(
    session: Session, group: str | None = None, tag: str | None = None, include_inactive: bool = False
) -> list[Feature]:
    """Features ordered by id, filtered by group, tag and activity.

    Args:
        session: Open metadata session.
        group: Keep only features of this group (position/cluster) when given.
        tag: Keep only features carrying this tag when given.
        include_inactive: Also return features that disappeared from their synced source.

    """
    query = select(Feature).order_by(Feature.id)
    if group is not None:
        query = query.where(Feature.group == group)
    if not include_inactive:
        query = query.where(Feature.active.is_(True))
    # Tags are a JSON list: filtering in Python keeps one code path for SQLite and PostgreSQL.
    return [feature for feature in session.scalars(query) if tag is None or tag in (feature.tags or [])]
