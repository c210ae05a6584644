"""`sparkhu features sync`: upsert from an external SQL registry, removals, one transaction, no rewrites."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from sparkhu.metadata import feature_sync
from sparkhu.metadata.db import engine_for, session_scope
from sparkhu.metadata.features import get_features, register_unknown
from tests.metadata.helpers import counts, snapshot

# The external registry speaks its own column names; the query renames some, --map the others.
QUERY = (
    "SELECT sensor_id, label AS name, unit, grp, lo AS range_min, hi AS range_max, "
    "alerts AS alert_levels, period AS sampling_period, tz AS timezone, tags FROM sensors ORDER BY sensor_id"
)
MAPPING = ("--map", "sensor_id=id", "--map", "grp=group")
ROWS = [
    ("p1", "Pressure 1", "bar", "pump-a", 0.0, 16.0, "10;12", "PT1M", "UTC", "pressure"),
    ("t1", "Temperature 1", "degC", "pump-a", -20.0, 120.0, "90", "5min", "Europe/Berlin", "temp;oil"),
    ("v1", "Vibration 1", "mm/s", "pump-b", 0.0, None, "", "1s", "UTC", ""),
]


class Registry:
    """An external feature registry in a SQLite file, editable by the test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.execute(
            "CREATE TABLE sensors (sensor_id TEXT PRIMARY KEY, label TEXT, unit TEXT, grp TEXT, lo REAL, "
            "hi REAL, alerts TEXT, period TEXT, tz TEXT, tags TEXT)"
        )
        for row in ROWS:
            self.execute("INSERT INTO sensors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def execute(self, sql: str, parameters: tuple[object, ...] = ()) -> None:
        with sqlite3.connect(self.path) as connection:
            connection.execute(sql, parameters)
        connection.close()


@pytest.fixture()
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "registry.db")


@pytest.fixture()
def writes(database: str) -> Iterator[list[str]]:
    """Every INSERT/UPDATE/DELETE sent to the metadata database while the test runs."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    engine = engine_for(database)
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def sync(cli, registry: Registry, *extra: str):
    return cli("sync", "--from", registry.url, "--query", QUERY, *MAPPING, "--source", "plant", *extra)


def test_sync_adds_updates_removes_and_then_changes_nothing(
    database: str, cli, registry: Registry, writes: list[str]
) -> None:
    with session_scope(database) as session:
        register_unknown(session, ["ingested_only"])  # another origin: never removed by a sync
    first = sync(cli, registry)
    assert first.exit_code == 0, first.output
    assert counts(first.output) == {"added": 3, "updated": 0, "unchanged": 0, "removed": 0}
    with session_scope(database) as session:
        t1 = get_features(session, ["t1"])["t1"]
    assert (t1.name, t1.group, t1.range_min, t1.range_max) == ("Temperature 1", "pump-a", -20.0, 120.0)
    assert (t1.alert_levels, t1.period_seconds, t1.timezone) == ([90.0], 300.0, "Europe/Berlin")
    assert (t1.tags, t1.origin, t1.active) == (["oil", "temp"], "sync:plant", True)

    registry.execute("UPDATE sensors SET unit = 'K', lo = -30 WHERE sensor_id = 't1'")
    registry.execute("DELETE FROM sensors WHERE sensor_id = 'v1'")
    registry.execute("INSERT INTO sensors (sensor_id, unit, tz) VALUES ('f1', 'l/min', 'UTC')")
    second = sync(cli, registry)
    assert second.exit_code == 0, second.output
    assert counts(second.output) == {"added": 1, "updated": 1, "unchanged": 1, "removed": 1}
    assert "unit, range_min" in second.output  # the fields that changed, named
    with session_scope(database) as session:
        features = get_features(session)
    assert (features["t1"].unit, features["t1"].range_min) == ("K", -30.0)
    assert features["v1"].active is False  # kept, marked inactive (not deleted)
    assert features["ingested_only"].active is True

    assert any(statement.lstrip().startswith("UPDATE") for statement in writes)  # the spy sees writes
    before, writes[:] = snapshot(database), []
    third = sync(cli, registry)
    assert counts(third.output) == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0}
    assert writes == []  # no UPDATE (nor anything else) for an identical source
    assert snapshot(database) == before


def test_feature_coming_back_is_reactivated_and_prune_deletes(database: str, cli, registry: Registry) -> None:
    assert sync(cli, registry).exit_code == 0
    registry.execute("DELETE FROM sensors WHERE sensor_id = 'v1'")
    assert counts(sync(cli, registry).output)["removed"] == 1
    registry.execute(
        "INSERT INTO sensors (sensor_id, label, unit, grp, lo, period, tz) "
        "VALUES ('v1', 'Vibration 1', 'mm/s', 'pump-b', 0, '1s', 'UTC')"
    )
    back = sync(cli, registry)
    assert counts(back.output) == {"added": 0, "updated": 1, "unchanged": 2, "removed": 0}
    assert "active" in back.output

    registry.execute("DELETE FROM sensors WHERE sensor_id IN ('p1', 'v1')")
    pruned = sync(cli, registry, "--prune")
    assert counts(pruned.output) == {"added": 0, "updated": 0, "unchanged": 1, "removed": 2}
    with session_scope(database) as session:
        assert sorted(get_features(session)) == ["t1"]


def test_dry_run_reports_changes_and_writes_nothing(database: str, cli, registry: Registry) -> None:
    assert sync(cli, registry).exit_code == 0
    registry.execute("UPDATE sensors SET label = 'P1' WHERE sensor_id = 'p1'")
    registry.execute("DELETE FROM sensors WHERE sensor_id = 'v1'")
    before = snapshot(database)
    dry = sync(cli, registry, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts(dry.output) == {"added": 0, "updated": 1, "unchanged": 1, "removed": 1}
    assert snapshot(database) == before


def test_invalid_source_row_leaves_registry_unchanged(database: str, cli, registry: Registry) -> None:
    assert sync(cli, registry).exit_code == 0
    before = snapshot(database)
    registry.execute("UPDATE sensors SET unit = 'Pa' WHERE sensor_id = 'p1'")  # valid change, not applied
    registry.execute("INSERT INTO sensors (sensor_id, lo, hi) VALUES ('x9', 5, 1)")
    registry.execute("UPDATE sensors SET alerts = '130' WHERE sensor_id = 't1'")
    result = sync(cli, registry)
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "source row 2 (id 't1'): alert levels [130.0] lie outside the physical range" in output
    assert "source row 4 (id 'x9'): range_min (5) is above range_max (1)" in output
    assert snapshot(database) == before


def test_failure_while_writing_rolls_everything_back(
    database: str, cli, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(cli, registry).exit_code == 0
    before = snapshot(database)
    registry.execute("UPDATE sensors SET unit = 'Pa' WHERE sensor_id = 'p1'")
    registry.execute("UPDATE sensors SET unit = 'K' WHERE sensor_id = 't1'")
    registry.execute("DELETE FROM sensors WHERE sensor_id = 'v1'")
    original, calls = feature_sync._apply_change, []

    def failing_third(*args, **kwargs) -> None:
        calls.append(args)
        if len(calls) == 3:
            args[0].flush()  # the first two updates reach the database, inside the transaction
            raise RuntimeError("disk full")
        original(*args, **kwargs)

    monkeypatch.setattr(feature_sync, "_apply_change", failing_third)
    result = sync(cli, registry)
    assert isinstance(result.exception, RuntimeError)
    assert len(calls) == 3  # two changes were made in the session before the failure
    assert snapshot(database) == before


def test_empty_source_is_refused_unless_allowed(database: str, cli, registry: Registry) -> None:
    assert sync(cli, registry).exit_code == 0
    registry.execute("DELETE FROM sensors")
    refused = sync(cli, registry)
    assert refused.exit_code == 2
    assert "refusing to remove all 3 features of 'sync:plant'" in " ".join(refused.output.split())
    allowed = sync(cli, registry, "--allow-empty")
    assert counts(allowed.output) == {"added": 0, "updated": 0, "unchanged": 0, "removed": 3}


def test_default_source_is_the_url_and_sources_are_separate(database: str, cli, registry: Registry) -> None:
    query = "SELECT sensor_id AS id, unit FROM sensors WHERE grp = 'pump-a'"
    result = cli("sync", "--from", registry.url, "--query", query)
    assert result.exit_code == 0, result.output
    other = cli("sync", "--from", registry.url, "--query", query.replace("pump-a", "pump-b"), "--source", "b")
    assert counts(other.output) == {"added": 1, "updated": 0, "unchanged": 0, "removed": 0}
    with session_scope(database) as session:
        origins = {ident: feature.origin for ident, feature in get_features(session).items()}
    assert origins == {"p1": f"sync:{registry.url}", "t1": f"sync:{registry.url}", "v1": "sync:b"}


def test_unusable_sources_exit_2(home, cli, registry: Registry, tmp_path: Path) -> None:
    cases = {
        ("--from", f"sqlite:///{tmp_path / 'nowhere.db'}", "--query", "SELECT 1 AS id"): "does not exist",
        ("--from", registry.url, "--query", "SELECT * FROM no_such_table"): "no such table: no_such_table",
        (
            "--from",
            registry.url,
            "--query",
            "SELECT sensor_id AS id, grp FROM sensors",
        ): "column 'grp' is not",
        ("--from", registry.url, "--query", "SELECT unit FROM sensors"): "no 'id' column",
        ("--from", registry.url, "--query", "SELECT 1 AS id", "--map", "a=colour"): "--map 'a=colour'",
        ("--from", "notadatabase://x", "--query", "SELECT 1"): "invalid source URL",
    }
    for args, message in cases.items():
        result = cli("sync", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.output.split()), result.output


@pytest.mark.postgres
def test_postgres_source_query_keeps_percent_and_casts(
    home, cli, postgres_database: str, monkeypatch
) -> None:
    """The query goes to the driver as written: LIKE patterns and ::casts are not parameters."""
    monkeypatch.setenv("COLUMNS", "240")
    with engine_for(postgres_database).begin() as connection:
        connection.exec_driver_sql("CREATE TABLE sensors (code INTEGER, unit TEXT, period INTEGER)")
        connection.exec_driver_sql(
            "INSERT INTO sensors VALUES (101, 'bar', 60), (102, 'degC', 300), (7, 'V', 1)"
        )
    query = (
        "SELECT code::text AS id, unit, period || 's' AS sampling_period FROM sensors "
        "WHERE code::text LIKE '10%' ORDER BY code"
    )
    result = cli("sync", "--from", postgres_database, "--query", query, "--source", "pg")
    assert result.exit_code == 0, result.output
    assert counts(result.output)["added"] == 2
    with session_scope(home.database) as session:
        features = get_features(session)
    assert {ident: feature.period_seconds for ident, feature in features.items()} == {
        "101": 60.0,
        "102": 300.0,
    }
