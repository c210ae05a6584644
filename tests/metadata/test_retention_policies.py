"""``sparkhu retention policies import`` and ``sparkhu retention list`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from sparkhu.cli.main import app

POLICIES = """
policies:
  - name: raw-90d
    scope: {store: lake, table: raw}
    rules: {older_than: 90d}
    actions: [archive, delete]
  - name: old-runs
    scope: {store: mlflow, experiment: "*"}
    rules: {keep_last: 20}
    actions: [archive]
"""


def sparkhu(*argv: str) -> Result:
    return CliRunner().invoke(app, list(argv))


def test_import_is_an_idempotent_upsert_by_name(database: str, tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(POLICIES)
    first = sparkhu("retention", "policies", "import", str(path))
    assert first.exit_code == 0 and "raw-90d, old-runs" in first.output
    again = sparkhu("retention", "policies", "import", str(path))
    assert again.exit_code == 0 and "unchanged │ 2" in again.output
    path.write_text(POLICIES.replace("keep_last: 20", "keep_last: 5"))
    preview = sparkhu("retention", "policies", "import", str(path), "--dry-run")
    assert "updated   │ 1" in preview.output and "Dry run" in preview.output
    stored = json.loads(sparkhu("retention", "list", "--json").output)
    assert [p["rules"]["keep_last"] for p in stored if p["name"] == "old-runs"] == [20]  # the dry run wrote nothing
    sparkhu("retention", "policies", "import", str(path))
    stored = json.loads(sparkhu("retention", "list", "--json").output)
    assert [p["name"] for p in stored] == ["old-runs", "raw-90d"]
    assert [p["rules"]["keep_last"] for p in stored if p["name"] == "old-runs"] == [5]
    listed = sparkhu("retention", "list")
    assert "lake:raw" in listed.output and "archive → delete" in listed.output


def test_an_invalid_file_writes_nothing_and_says_why(database: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(POLICIES + "  - name: young\n    scope: {store: lake, table: raw}\n    rules: {older_than: 1d}\n"
                    "    actions: [delete]\n")
    result = sparkhu("retention", "policies", "import", str(path))
    assert result.exit_code == 2 and "nothing was written" in result.output
    assert "policy 3 ('young')" in result.output and "minimum age" in result.output
    assert json.loads(sparkhu("retention", "list", "--json").output) == []  # all or nothing
    path.write_text("policies: [unclosed")
    malformed = sparkhu("retention", "policies", "import", str(path))
    assert malformed.exit_code == 2 and "not valid YAML" in malformed.output
    missing = sparkhu("retention", "policies", "import", str(tmp_path / "absent.yaml"))
    assert missing.exit_code == 2 and "cannot read" in missing.output and "Traceback" not in missing.output
