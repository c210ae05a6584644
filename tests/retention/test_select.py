"""Rule selection with known answers: the age floor, keep_last by group, max_bytes oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sparkhu.retention.policy import Rules
from sparkhu.retention.select import cutoff_of, select_units
from sparkhu.retention.store import Unit

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def unit(key: str, days_old: float, size: int = 10, group: str = "") -> Unit:
    return Unit(key=key, target="t", newest=NOW - timedelta(days=days_old), rows=1, bytes=size, files=1,
                fingerprint=key, group=group)


UNITS = [unit("d50", 50), unit("d40", 40), unit("d30", 30), unit("d20", 20), unit("d10", 10), unit("d1", 1)]


def keys(rules: dict[str, object], units: list[Unit] = UNITS) -> list[str]:
    return [chosen.key for chosen in select_units(Rules.model_validate(rules), units, NOW)]


def test_age_alone_selects_everything_older_than_the_cutoff_oldest_first() -> None:
    assert keys({"older_than": "25d"}) == ["d50", "d40", "d30"]
    assert cutoff_of(Rules.model_validate({"older_than": "1d"}), NOW) == NOW - timedelta(days=1)


def test_keep_last_counts_every_unit_but_selects_only_past_the_age_floor() -> None:
    assert keys({"keep_last": 2}) == ["d50", "d40", "d30", "d20"]
    assert keys({"keep_last": 2, "older_than": "35d"}) == ["d50", "d40"]
    assert keys({"keep_last": 10}) == []


def test_keep_last_counts_the_parts_of_one_group_once() -> None:
    split = [unit("m1", 40, group="m1"), unit("m2;old", 20, group="m2"), unit("m2;new", 2, group="m2")]
    assert keys({"keep_last": 1}, split) == ["m1"]


def test_max_bytes_drops_the_oldest_until_the_rest_fits() -> None:
    assert keys({"max_bytes": 35}) == ["d50", "d40", "d30"]  # 60 bytes, 30 left
    assert keys({"max_bytes": 60}) == []
    assert keys({"max_bytes": 0, "older_than": "15d"}) == ["d50", "d40", "d30", "d20"]


def test_keep_last_counts_per_target() -> None:
    units = [Unit(key=f"{target}{age}", target=target, newest=NOW - timedelta(days=age), rows=1, bytes=1, files=1,
                  fingerprint="f") for target in ("x", "y") for age in (3, 2, 1)]
    assert keys({"keep_last": 2}, units) == ["x3", "y3"]
