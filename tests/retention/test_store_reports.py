"""The reports retention store on real files: HTML reports under a folder, aged by their mtime."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sparkhu.config import Settings
from sparkhu.retention.policy import Rules, Scope, load_policies
from sparkhu.retention.select import select_units
from sparkhu.retention.store import StoreError, UnitChanged
from sparkhu.retention_engine.control import save_policies
from sparkhu.retention_engine.engine import Engine
from sparkhu.storage.file_retention import FileStore

NOW = datetime.now(UTC)
SCOPE = Scope(store="reports")


def report(folder: Path, name: str, days_ago: float, text: str = "<html>report</html>") -> Path:
    """A file written ``days_ago``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    moment = (NOW - timedelta(days=days_ago)).timestamp()
    os.utime(path, (moment, moment))
    return path


@pytest.fixture()
def reports(home: Settings) -> Path:
    """``<home>/reports`` with three reports of different ages, and files that are not reports."""
    folder = home.home / "reports"
    report(folder, "old.html", 40, "<html>" + "x" * 500 + "</html>")
    report(folder, "2026/nested.HTM", 20)
    report(folder, "fresh.html", 1)
    report(folder, "notes.txt", 90)
    report(folder, ".draft.html", 90)
    return folder


def test_units_are_the_report_files_with_their_age_and_size(home: Settings, reports: Path) -> None:
    units = FileStore(home.home).units(SCOPE, None, True, None, [])
    assert [unit.key for unit in units] == ["old.html", "2026/nested.HTM", "fresh.html"]
    old = units[0]
    assert old.target == str(reports.resolve())
    assert abs((old.newest - (NOW - timedelta(days=40))).total_seconds()) < 1
    assert (old.rows, old.files, old.bytes) == (1, 1, 513)
    size, mtime, digest = old.fingerprint.split(":")
    assert (size, len(digest)) == ("513", 16) and int(mtime) > 0


def test_age_and_keep_last_select_through_the_rules(home: Settings, reports: Path) -> None:
    units = FileStore(home.home).units(SCOPE, None, True, None, [])
    assert [unit.key for unit in select_units(Rules(older_than=7 * 86400), units, NOW)] == [
        "old.html", "2026/nested.HTM"]
    assert [unit.key for unit in select_units(Rules(keep_last=2), units, NOW)] == ["old.html"]


def test_a_scope_path_is_below_the_home_or_absolute(home: Settings, reports: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "published"
    report(elsewhere, "a.html", 10)
    files = FileStore(home.home)
    assert [unit.key for unit in files.units(Scope(store="reports", path="reports/2026"), None, True, None, [])] == [
        "nested.HTM"]
    assert [unit.key for unit in files.units(Scope(store="reports", path=str(elsewhere)), None, True, None, [])] == [
        "a.html"]
    assert files.units(Scope(store="reports", path="missing"), None, True, None, []) == []


def test_archive_keeps_the_path_and_verifies_by_sha256(home: Settings, reports: Path, tmp_path: Path) -> None:
    files = FileStore(home.home)
    old = files.units(SCOPE, None, True, None, [])[0]
    receipt = files.archive(old, None, "plan/old")
    copy = home.home / "archive" / "reports" / "reports" / "old.html"
    assert Path(receipt.location) == copy
    assert copy.read_text() == (reports / "old.html").read_text()
    assert copy.stat().st_mtime == pytest.approx((reports / "old.html").stat().st_mtime)
    assert files.verify(old, receipt)
    copy.write_text("tampered")
    assert not files.verify(old, receipt)
    outside = files.archive(old, str(tmp_path / "cold"), "plan/old")
    assert Path(outside.location) == tmp_path / "cold" / "reports" / "old.html" and files.verify(old, outside)
    with pytest.raises(StoreError, match="local folder"):
        files.archive(old, "s3://bucket/reports", "plan/old")


def test_an_archive_inside_the_scope_is_never_a_unit(home: Settings, reports: Path) -> None:
    files = FileStore(home.home)
    for unit in files.units(SCOPE, None, True, None, []):
        files.archive(unit, "reports/kept", "plan")
    assert [unit.key for unit in files.units(SCOPE, None, True, None, [])] == [
        "old.html", "2026/nested.HTM", "fresh.html"]
    home_scope = Scope(store="reports", path=".")  # the whole home: its default archive is skipped as well
    files.archive(files.units(SCOPE, None, True, None, [])[0], None, "plan")
    assert all(not key.startswith(("archive/", "reports/kept/")) for key in
               [unit.key for unit in files.units(home_scope, None, True, None, [])])


def test_delete_unlinks_the_file_and_empty_folders_unless_it_changed(home: Settings, reports: Path) -> None:
    files = FileStore(home.home)
    old, nested, _fresh = files.units(SCOPE, None, True, None, [])
    assert files.size(old.target) == (3, 513 + 2 * 19)
    assert files.delete(nested) == 1
    assert not (reports / "2026").exists()
    assert files.remaining(nested) == 0 and files.fingerprint(nested) == "gone"
    assert files.delete(nested) == 0
    (reports / "old.html").write_text("<html>rewritten</html>")
    with pytest.raises(UnitChanged, match="changed since the plan"):
        files.delete(old)
    assert (reports / "old.html").exists()
    assert files.reclaimable(old.target).files == 0 and files.reclaim(old.target).bytes == 0
    assert files.size(old.target) == (2, 22 + 19)


def test_the_engine_archives_and_deletes_old_reports_through_the_registered_store(
        home: Settings, reports: Path) -> None:
    policies = load_policies({"policies": [{"name": "old-reports", "scope": {"store": "reports"},
                                            "rules": {"older_than": "14d"}, "actions": ["archive", "delete"]}]})
    save_policies(home, policies, actor="test")
    engine = Engine(home, "test")
    [plan] = engine.plan("old-reports")
    assert [unit.key for unit in plan.units] == ["old.html", "2026/nested.HTM"]
    record = engine.apply(plan.id)
    assert record["result"] == "ok"
    assert record["detail"]["rows"] == {"archived": 2, "downsampled": 0, "deleted": 2}
    assert sorted(path.name for path in reports.rglob("*")) == [".draft.html", "fresh.html", "notes.txt"]
    archive = home.home / "archive" / "reports" / "reports"
    assert (archive / "2026" / "nested.HTM").read_text() == "<html>report</html>"
    assert record["detail"]["after"][str(reports.resolve())]["items"] == 1
