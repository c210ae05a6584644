"""End-to-end syncs from a real local git repository into the kmock API emulator."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from manifest_sync import ownership
from manifest_sync.config import Mode
from manifest_sync.schema import BUNDLED_SCHEMA, SCHEMA_ENV
from manifest_sync.status import Outcome
from tests.manifest_sync.conftest import (
    NAMESPACE,
    Cluster,
    GitRepo,
    config_map,
    make_controller,
    workflow_template,
)

WT = "/workflowtemplates"


def _seed(repo: GitRepo) -> str:
    repo.write("manifests/templates.yaml", [workflow_template("alpha"), workflow_template("beta", "hi beta")])
    repo.write("manifests/config/settings.yml", config_map("sparkhu-config", {"LAKE": "s3://lake"}))
    repo.write("README.md", "not a manifest")
    return repo.commit("seed")


def test_first_sync_creates_every_object_with_ownership_marks(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    revision = _seed(repo)
    report = make_controller(cluster, repo, tmp_path).sync_once()

    assert report.outcome == Outcome.SYNCED and report.revision == revision
    assert sorted(cluster.objects("WorkflowTemplate")) == ["alpha", "beta"]
    alpha = cluster.objects("WorkflowTemplate")["alpha"]
    assert alpha["spec"]["templates"][0]["container"]["command"] == ["echo", "hello"]
    assert alpha["metadata"]["labels"][ownership.MANAGED_BY_LABEL] == "sparkhu-manifest-sync"
    notes = alpha["metadata"]["annotations"]
    assert notes[ownership.SOURCE_REPO] == repo.url
    assert notes[ownership.SOURCE_PATH] == "manifests"
    assert notes[ownership.SOURCE_REVISION] == revision
    assert notes[ownership.APPLIED_HASH] == ownership.body_hash(workflow_template("alpha"))
    assert cluster.objects("ConfigMap")["sparkhu-config"]["data"] == {"LAKE": "s3://lake"}
    # Config first, then templates: the apply order is fixed.
    created = [path.rsplit("/", 1)[-1] for method, path in cluster.writes() if method == "POST"]
    assert created == ["configmaps", "workflowtemplates", "workflowtemplates"]
    assert {o.result for o in report.objects} == {"applied"}


def test_a_repeated_sync_without_changes_writes_nothing(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    _seed(repo)
    controller = make_controller(cluster, repo, tmp_path)
    controller.sync_once()
    cluster.mark()
    report = controller.sync_once()
    assert report.outcome == Outcome.SYNCED
    assert cluster.writes() == []
    assert {o.result for o in report.objects} == {"unchanged"}


def test_a_change_in_git_is_patched_in_place_never_deleted(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    _seed(repo)
    controller = make_controller(cluster, repo, tmp_path)
    controller.sync_once()
    repo.write(
        "manifests/templates.yaml", [workflow_template("alpha", "changed"), workflow_template("beta", "hi beta")]
    )
    revision = repo.commit("change alpha")
    cluster.mark()
    report = controller.sync_once()

    assert cluster.writes() == [("PATCH", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}/alpha")]
    alpha = cluster.objects("WorkflowTemplate")["alpha"]
    assert alpha["spec"]["templates"][0]["container"]["command"] == ["echo", "changed"]
    assert alpha["metadata"]["annotations"][ownership.SOURCE_REVISION] == revision
    # beta did not change, so it keeps the revision it was applied at.
    assert cluster.objects("WorkflowTemplate")["beta"]["metadata"]["annotations"][ownership.SOURCE_REVISION] != revision
    assert [o.result for o in report.objects if o.object.endswith("alpha")] == ["applied"]


def test_a_file_removed_from_git_is_pruned_but_opt_out_and_foreign_objects_stay(
    cluster: Cluster, repo: GitRepo, tmp_path: Path
) -> None:
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.write("manifests/b.yaml", workflow_template("beta"))
    kept = config_map("keep-me", {"k": "v"}, annotations={ownership.PRUNE: "disabled"})
    repo.write("manifests/c.yaml", kept)
    repo.commit("seed")
    controller = make_controller(cluster, repo, tmp_path)
    controller.sync_once()
    api = cluster.api()  # an object made by hand, without our label: never ours to prune
    api.create(f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}", workflow_template("handmade"))

    repo.remove("manifests/b.yaml")
    repo.remove("manifests/c.yaml")
    repo.commit("drop beta and keep-me")
    cluster.mark()
    report = controller.sync_once()

    assert sorted(cluster.objects("WorkflowTemplate")) == ["alpha", "handmade"]
    assert "keep-me" in cluster.objects("ConfigMap")
    assert cluster.writes() == [("DELETE", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}/beta")]
    results = {o.object: o.result for o in report.objects}
    assert results[f"WorkflowTemplate {NAMESPACE}/beta"] == "pruned"
    assert results[f"ConfigMap {NAMESPACE}/keep-me"] == "kept"


def test_no_prune_keeps_objects_gone_from_git(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("manifests/a.yaml", [workflow_template("alpha"), workflow_template("beta")])
    repo.commit("seed")
    controller = make_controller(cluster, repo, tmp_path, prune=False)
    controller.sync_once()
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("drop beta")
    cluster.mark()
    report = controller.sync_once()
    assert sorted(cluster.objects("WorkflowTemplate")) == ["alpha", "beta"]
    assert cluster.writes() == []
    assert {o.object: o.result for o in report.objects}[f"WorkflowTemplate {NAMESPACE}/beta"] == "kept"


def _hand_edit(cluster: Cluster) -> None:
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}/alpha"
    cluster.api().patch(path, {"spec": {"entrypoint": "hacked", "suspend": True}})


def test_drift_is_reported_but_left_alone_in_detect_only_mode(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    _seed(repo)
    controller = make_controller(cluster, repo, tmp_path, mode=Mode.DETECT_ONLY)
    controller.sync_once()
    _hand_edit(cluster)
    cluster.mark()
    report = controller.sync_once()

    assert cluster.writes() == []
    assert cluster.objects("WorkflowTemplate")["alpha"]["spec"]["entrypoint"] == "hacked"
    drift = [o for o in report.objects if o.action == "drift"]
    assert [(o.object, o.result) for o in drift] == [(f"WorkflowTemplate {NAMESPACE}/alpha", "detected")]
    assert report.outcome == Outcome.SYNCED
    assert b"sparkhu_sync_drifted_objects 1.0" in controller.metrics.exposition()


def test_drift_is_corrected_in_apply_mode(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    _seed(repo)
    controller = make_controller(cluster, repo, tmp_path)
    controller.sync_once()
    _hand_edit(cluster)
    cluster.mark()
    report = controller.sync_once()

    alpha = cluster.objects("WorkflowTemplate")["alpha"]
    assert alpha["spec"] == workflow_template("alpha")["spec"]  # the added key is removed, the edit reverted
    assert cluster.writes() == [("PATCH", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}/alpha")]
    assert [o.result for o in report.objects if o.action == "drift"] == ["corrected"]
    assert b"sparkhu_sync_drifted_objects 0.0" in controller.metrics.exposition()
    cluster.mark()
    controller.sync_once()
    assert cluster.writes() == []


def test_one_invalid_manifest_blocks_the_whole_sync(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.write("manifests/b.yaml", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
    repo.write("manifests/c.yaml", workflow_template("gamma", namespace="kube-system"))
    repo.write("manifests/d.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-"}})
    repo.commit("bad")
    controller = make_controller(cluster, repo, tmp_path)
    cluster.mark()
    report = controller.sync_once()

    assert report.outcome == Outcome.BLOCKED and report.stage == "validate"
    assert cluster.writes() == []
    assert cluster.objects("WorkflowTemplate") == {}
    assert len(report.errors) == 3
    assert any("b.yaml#0: kind 'Secret' is not allowed" in e for e in report.errors)
    assert any("c.yaml#0: namespace 'kube-system' is not allowed" in e for e in report.errors)
    assert any("d.yaml#0: metadata.name is required (generateName is not supported" in e for e in report.errors)
    assert not controller.status.ready


def test_a_schema_violation_blocks_the_sync(
    cluster: Cluster, repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SCHEMA_ENV, raising=False)
    controller = make_controller(cluster, repo, tmp_path)
    assert controller.config.schema_path == BUNDLED_SCHEMA  # the default: no ../shared, no environment needed
    broken = workflow_template("alpha")
    broken["spec"]["templates"] = "not-a-list"
    repo.write("manifests/a.yaml", [workflow_template("ok"), broken])
    repo.commit("schema violation")
    report = controller.sync_once()
    assert report.outcome == Outcome.BLOCKED
    assert report.errors == ["a.yaml#1: schema: spec/templates: 'not-a-list' is not of type 'array'"]
    assert cluster.objects("WorkflowTemplate") == {}


def test_invalid_yaml_blocks_and_a_later_fix_syncs(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("manifests/a.yaml", "apiVersion: v1\nkind: [unclosed\n")
    repo.commit("broken yaml")
    controller = make_controller(cluster, repo, tmp_path)
    report = controller.sync_once()
    assert report.outcome == Outcome.BLOCKED and report.stage == "render"
    assert "a.yaml: invalid YAML" in report.errors[0]
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("fixed")
    assert controller.sync_once().outcome == Outcome.SYNCED
    assert list(cluster.objects("WorkflowTemplate")) == ["alpha"]


def test_an_unreachable_repository_keeps_the_last_good_state(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    revision = _seed(repo)
    controller = make_controller(cluster, repo, tmp_path)
    controller.sync_once()
    repo.root.rename(repo.root.with_name("moved-away"))  # the host is gone
    cluster.mark()
    report = controller.sync_once()

    assert report.outcome == Outcome.FAILED and report.stage == "source"
    assert "git fetch failed" in report.errors[0]
    assert cluster.writes() == []
    assert sorted(cluster.objects("WorkflowTemplate")) == ["alpha", "beta"]
    snapshot = controller.status.snapshot()
    assert snapshot["ready"] is True and snapshot["synced_revision"] == revision
    assert "git fetch failed" in snapshot["last_error"]
    assert b'sparkhu_sync_failures_total{stage="source"} 1.0' in controller.metrics.exposition()


def test_transient_api_errors_are_retried(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    _seed(repo)
    cluster.fail_next("post", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}", times=2, status=503)
    cluster.fail_next("get", "/api/v1/namespaces/argo/configmaps", times=1, status=429)
    report = make_controller(cluster, repo, tmp_path).sync_once()
    assert report.outcome == Outcome.SYNCED
    assert sorted(cluster.objects("WorkflowTemplate")) == ["alpha", "beta"]


def test_a_permanent_api_error_fails_that_object_only(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    _seed(repo)
    cluster.fail_next("post", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}{WT}", times=1, status=422)
    controller = make_controller(cluster, repo, tmp_path)
    report = controller.sync_once()
    assert report.outcome == Outcome.FAILED and report.stage == "apply"
    results = {o.object: o.result for o in report.objects}
    assert results[f"WorkflowTemplate {NAMESPACE}/alpha"] == "failed"
    assert results[f"WorkflowTemplate {NAMESPACE}/beta"] == "applied"
    assert "HTTP 422" in report.errors[0]
    assert controller.sync_once().outcome == Outcome.SYNCED  # the next sync catches up


def test_two_hundred_templates_sync_then_resync_without_writes(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("manifests/many.yaml", [workflow_template(f"template-{i:03d}", f"msg {i}") for i in range(200)])
    repo.commit("200 templates")
    controller = make_controller(cluster, repo, tmp_path)
    started = time.perf_counter()
    first = controller.sync_once()
    first_s = time.perf_counter() - started
    assert first.outcome == Outcome.SYNCED and first.count("applied") == 200
    assert len(cluster.objects("WorkflowTemplate")) == 200

    cluster.mark()
    started = time.perf_counter()
    second = controller.sync_once()
    second_s = time.perf_counter() - started
    assert second.count("unchanged") == 200
    assert cluster.writes() == []  # no create, patch, delete or event: nothing written at all
    print(f"\n200 WorkflowTemplates: first sync {first_s:.2f}s, no-change resync {second_s:.2f}s, 0 writes")
