"""The committed manifests are exactly what the hera definitions render, and render/check behave."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.workflows.render import HEADER, diff_manifests, render_manifests

EXPECTED_FILES = ["cronworkflow-sparkhu-daily.yaml", "cronworkflow-sparkhu-retention.yaml",
                  "workflowtemplate-sparkhu-daily-univariate.yaml", "workflowtemplate-sparkhu-models.yaml",
                  "workflowtemplate-sparkhu-multivariate.yaml", "workflowtemplate-sparkhu-retention.yaml"]
CRON, DAILY = EXPECTED_FILES[0], EXPECTED_FILES[2]



def test_committed_manifests_match_a_fresh_rendering(rendered: dict[str, str], manifests_dir: Path) -> None:
    assert sorted(rendered) == EXPECTED_FILES
    for name, text in rendered.items():
        committed = (manifests_dir / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run `sparkhu manifests render`"
    assert diff_manifests(manifests_dir) == []


def test_rendering_is_deterministic(rendered: dict[str, str]) -> None:
    from sparkhu.workflows.render import rendered_manifests

    assert rendered_manifests() == rendered
    assert all(text.startswith(HEADER) for text in rendered.values())


def test_render_writes_files_and_removes_only_stale_generated_ones(tmp_path: Path) -> None:
    (tmp_path / "workflowtemplate-old-name.yaml").write_text(HEADER + "kind: WorkflowTemplate\n")
    (tmp_path / "hand-written.yaml").write_text("kind: ConfigMap\n")
    written = render_manifests(tmp_path)
    assert [p.name for p in written] == EXPECTED_FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*EXPECTED_FILES, "hand-written.yaml"])
    assert diff_manifests(tmp_path) == []


def test_diff_reports_missing_changed_and_stale_files(tmp_path: Path) -> None:
    render_manifests(tmp_path)
    (tmp_path / CRON).unlink()
    changed = tmp_path / DAILY
    changed.write_text(changed.read_text().replace("runAsNonRoot: true", "runAsNonRoot: false", 1))
    (tmp_path / "cronworkflow-retired.yaml").write_text(HEADER + "kind: CronWorkflow\n")
    problems = diff_manifests(tmp_path)
    assert [p.split(":")[0] for p in problems] == ["stale", "missing", "changed"]
    assert "-        runAsNonRoot: false" in problems[2]
    assert "+        runAsNonRoot: true" in problems[2]


def test_cli_render_then_check(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "m"
    result = runner.invoke(app, ["manifests", "render", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == EXPECTED_FILES
    assert runner.invoke(app, ["manifests", "check", "--dir", str(out)]).exit_code == 0
    (out / CRON).write_text("edited\n")
    failed = runner.invoke(app, ["manifests", "check", "--dir", str(out)])
    assert failed.exit_code == 1
    assert f"changed: {out / CRON}" in failed.output
    assert "1 difference(s)" in failed.output


def test_cli_registry_prefix_reaches_the_images(tmp_path: Path, manifests_dir: Path) -> None:
    runner = CliRunner()
    render = ["manifests", "render", "--out", str(tmp_path), "--registry", "ghcr.io/acme/"]
    result = runner.invoke(app, render)
    assert result.exit_code == 0, result.output
    text = (tmp_path / DAILY).read_text()
    assert "image: ghcr.io/acme/sparkhu/task-validate:" in text
    # The committed files use no prefix, so checking them against a prefixed rendering fails.
    check = ["manifests", "check", "--dir", str(manifests_dir), "--registry", "ghcr.io/acme"]
    assert runner.invoke(app, check).exit_code == 1


def test_cli_rejects_an_invalid_registry(tmp_path: Path) -> None:
    render = ["manifests", "render", "--out", str(tmp_path), "--registry", "https://x"]
    result = CliRunner().invoke(app, render)
    assert result.exit_code == 2
    assert not any(tmp_path.iterdir())
