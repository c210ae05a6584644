"""`sparkhu manifests render` / `check` cover every generated file: manifests, the chart copy, the Dockerfiles."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.tasks.spec import all_tasks
from sparkhu.workflows.generated import HEADER
from sparkhu.workflows.render import CHART_MANIFESTS_DIR, Layout, diff_all, render_all
from tests.delivery.chart import REPO

TASKS = tuple(all_tasks().values())

MANIFEST_FILES = ["cronworkflow-sparkhu-daily.yaml", "cronworkflow-sparkhu-retention.yaml",
                  "workflowtemplate-sparkhu-daily-univariate.yaml", "workflowtemplate-sparkhu-models.yaml",
                  "workflowtemplate-sparkhu-multivariate.yaml", "workflowtemplate-sparkhu-retention.yaml"]
DAILY = MANIFEST_FILES[2]



def test_the_checkout_is_up_to_date() -> None:
    assert diff_all(Layout.beside(REPO / "manifests")) == []


def test_layout_beside_a_manifests_folder(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "manifests")
    assert layout.tasks == tmp_path / "tasks"
    assert layout.chart_manifests == tmp_path / CHART_MANIFESTS_DIR == tmp_path / "charts/sparkhu/files/manifests"


def test_render_all_writes_three_trees_and_keeps_hand_written_files(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "manifests")
    base = tmp_path / "tasks" / "base" / "Dockerfile"
    base.parent.mkdir(parents=True)
    base.write_text("FROM python:3.11.15-slim-bookworm\n")
    retired = tmp_path / "tasks" / "retired-task" / "Dockerfile"
    retired.parent.mkdir()
    retired.write_text(HEADER + "FROM sparkhu/base:0.0.1\n")
    written = render_all(layout)
    assert len(written) == 2 * len(MANIFEST_FILES) + len(TASKS)
    assert sorted(p.name for p in layout.chart_manifests.iterdir()) == MANIFEST_FILES
    copy, original = (layout.chart_manifests / DAILY), (layout.manifests / DAILY)
    assert copy.read_text() == original.read_text()
    task_dirs = sorted(p.parent.name for p in layout.tasks.glob("*/Dockerfile"))
    assert task_dirs == sorted([*(t.name for t in TASKS), "base"])
    assert base.read_text() == "FROM python:3.11.15-slim-bookworm\n"
    assert not retired.parent.exists()  # the stale generated Dockerfile went, and its folder with it
    assert diff_all(layout) == []


def test_check_reports_a_stale_chart_copy_and_an_edited_dockerfile(tmp_path: Path) -> None:
    layout = Layout.beside(tmp_path / "manifests")
    render_all(layout)
    (layout.chart_manifests / MANIFEST_FILES[0]).unlink()
    dockerfile = layout.tasks / "plan" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("USER 10001:10001", "USER root"))
    problems = diff_all(layout)
    assert [p.split(":")[0] for p in problems] == ["missing", "changed"]
    assert problems[0] == f"missing: {layout.chart_manifests / MANIFEST_FILES[0]}"
    assert "-USER root" in problems[1] and "+USER 10001:10001" in problems[1]


def test_cli_render_and_check_cover_the_generated_files(tmp_path: Path) -> None:
    runner = CliRunner()
    out, tasks, chart = tmp_path / "m", tmp_path / "t", tmp_path / "c"
    options = ["--tasks-dir", str(tasks), "--chart-dir", str(chart)]
    result = runner.invoke(app, ["manifests", "render", "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    assert f"wrote {tasks / 'plan' / 'Dockerfile'}" in result.output.replace("\n", "")
    assert sorted(p.name for p in chart.iterdir()) == MANIFEST_FILES
    assert runner.invoke(app, ["manifests", "check", "--dir", str(out), *options]).exit_code == 0
    (tasks / "validate" / "Dockerfile").write_text("edited\n")  # no header any more: hand-written, so "changed"
    failed = runner.invoke(app, ["manifests", "check", "--dir", str(out), *options])
    assert failed.exit_code == 1
    assert f"changed: {tasks / 'validate' / 'Dockerfile'}" in failed.output
    assert "1 difference(s)" in failed.output


def test_cli_lists_the_images_to_build_base_first() -> None:
    result = CliRunner().invoke(app, ["manifests", "images", "--registry", "registry.local:5000/team"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["tasks/base/Dockerfile", "registry.local:5000/team/sparkhu/base:0.1.0"]
    assert lines[-1] == ["manifest_sync/Dockerfile", "registry.local:5000/team/sparkhu/manifest-sync:0.1.0"]
    assert [dockerfile for dockerfile, _ in lines[1:-1]] == [f"tasks/{t.name}/Dockerfile" for t in TASKS]
    assert all((REPO / dockerfile).is_file() for dockerfile, _ in lines)
    assert CliRunner().invoke(app, ["manifests", "images", "--registry", "HTTPS://x"]).exit_code == 2
