"""The feature (series) registry: what each series is, its unit, range, alert levels and sampling."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Float, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sparkhu.metadata.db import Base


class Feature(Base):
    """One series (a sensor's feature). ``id`` is the ``series_id`` used in every lake table."""

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
    origin: Mapped[str] = mapped_column(String(50), default="manual")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


def get_features(session: Session, ids: Iterable[str] | None = None) -> dict[str, Feature]:
    """Registered features by id (all of them when ``ids`` is None)."""
    query = select(Feature)
    if ids is not None:
        query = query.where(Feature.id.in_(list(ids)))
    return {feature.id: feature for feature in session.scalars(query)}


def register_unknown(session: Session, ids: Iterable[str], origin: str = "ingest") -> list[str]:
    """Register the ids that are not yet features, with default attributes; return the new ids."""
    wanted = sorted(set(ids))
    known = set(get_features(session, wanted))
    new = [series_id for series_id in wanted if series_id not in known]
    session.add_all(Feature(id=series_id, name=series_id, origin=origin) for series_id in new)
    session.flush()
    return new
