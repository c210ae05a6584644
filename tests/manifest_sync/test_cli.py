"""The ``sparkhu-sync`` command line: ``plan`` exit codes and diffs, ``sync`` once, against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from manifest_sync import cli
from manifest_sync.cli import app
from tests.manifest_sync.conftest import FAST_RETRY, NAMESPACE, Cluster, GitRepo, workflow_template

runner = CliRunner()


@pytest.fixture()
def kubeconfig(cluster: Cluster, tmp_path: Path) -> Path:
    """A kubeconfig pointing at the emulator."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "kmock",
                "clusters": [{"name": "kmock", "cluster": {"server": cluster.url}}],
                "users": [{"name": "tester", "user": {"token": "test-token"}}],
                "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "tester"}}],
            }
        )
    )
    return path


def _run(command: str, repo: GitRepo, kubeconfig: Path, *extra: str) -> tuple[int, str]:
    args = [
        command,
        "--repo",
        repo.url,
        "--branch",
        "main",
        "--path",
        "manifests",
        "--namespace",
        NAMESPACE,
        "--kubeconfig",
        str(kubeconfig),
        *extra,
    ]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_plan_exit_codes_follow_the_state_of_the_cluster(cluster: Cluster, repo: GitRepo, kubeconfig: Path) -> None:
    repo.write("manifests/a.yaml", [workflow_template("alpha"), workflow_template("beta")])
    repo.commit("seed")
    cluster.mark()
    code, output = _run("plan", repo, kubeconfig)
    assert code == 1, output
    assert f"+ create WorkflowTemplate {NAMESPACE}/alpha" in output
    assert "+      - echo" in output  # a unified diff follows
    assert "2 create" in output
    assert cluster.writes() == []  # plan never writes

    code, output = _run("sync", repo, kubeconfig)
    assert code == 0, output
    assert "synced revision" in output and f"applied    WorkflowTemplate {NAMESPACE}/alpha" in output

    code, output = _run("plan", repo, kubeconfig)
    assert code == 0, output
    assert "0 create, 0 update, 0 drift, 0 prune, 0 keep, 2 unchanged" in output

    repo.write("manifests/a.yaml", workflow_template("alpha", "new message"))
    repo.commit("change alpha, drop beta")
    code, output = _run("plan", repo, kubeconfig)
    assert code == 1
    assert f"~ update WorkflowTemplate {NAMESPACE}/alpha: changed in git" in output
    assert "-      - hello" in output and "+      - new message" in output
    assert f"- prune WorkflowTemplate {NAMESPACE}/beta" in output
    code, output = _run("plan", repo, kubeconfig, "--no-prune")
    assert f"= keep WorkflowTemplate {NAMESPACE}/beta" in output


def test_plan_reports_drift(cluster: Cluster, repo: GitRepo, kubeconfig: Path) -> None:
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("seed")
    assert _run("sync", repo, kubeconfig)[0] == 0
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflowtemplates/alpha"
    cluster.api().patch(path, {"spec": {"entrypoint": "hacked"}})
    code, output = _run("plan", repo, kubeconfig, "--mode", "detect-only")
    assert code == 1
    assert f"! drift WorkflowTemplate {NAMESPACE}/alpha: edited in the cluster" in output
    assert "-entrypoint: hacked" not in output and "-  entrypoint: hacked" in output


def test_plan_exits_2_on_errors(cluster: Cluster, repo: GitRepo, kubeconfig: Path, tmp_path: Path) -> None:
    repo.write("manifests/a.yaml", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
    repo.commit("invalid")
    code, output = _run("plan", repo, kubeconfig)
    assert code == 2 and "kind 'Secret' is not allowed" in output

    unreachable = runner.invoke(
        app, ["plan", "--repo", (tmp_path / "nowhere").as_uri(), "--kubeconfig", str(kubeconfig)]
    )
    assert unreachable.exit_code == 2 and "git fetch failed" in unreachable.output
    missing = tmp_path / "missing-kubeconfig"
    assert _run("plan", repo, missing)[0] == 2


def test_plan_exits_2_when_the_cluster_is_unreachable(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "API_RETRY", FAST_RETRY)
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("seed")
    config = tmp_path / "dead-kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "dead",
                "clusters": [{"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
            }
        )
    )
    code, output = _run("plan", repo, config)
    assert code == 2 and "cannot read the live objects" in output


def test_an_unknown_kind_is_an_error(repo: GitRepo) -> None:
    result = runner.invoke(app, ["plan", "--repo", repo.url, "--kind", "Secret"])
    assert result.exit_code == 2
