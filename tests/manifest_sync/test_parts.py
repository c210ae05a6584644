"""The building blocks on their own: patches, hashes, webhook auth, rendering, retries, events, logs."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from manifest_sync import ownership, webhook
from manifest_sync.events import EventRecorder
from manifest_sync.kinds import KNOWN_KINDS, ObjectRef, resolve_kinds
from manifest_sync.kube import KubeApiError, is_transient
from manifest_sync.logs import JsonFormatter
from manifest_sync.render import RenderError, manifest_folder, render
from manifest_sync.retry import RetryPolicy, call_with_retries
from manifest_sync.source import GitAuth
from manifest_sync.status import Outcome
from tests.manifest_sync.conftest import NAMESPACE, Cluster, GitRepo, make_controller, workflow_template


def test_merge_patch_turns_live_into_desired() -> None:
    live = {"spec": {"a": 1, "b": {"x": 1, "y": 2}, "extra": True}, "list": [1, 2]}
    desired = {"spec": {"a": 1, "b": {"x": 5}}, "list": [3]}
    assert ownership.merge_patch(live, desired) == {"spec": {"b": {"x": 5, "y": None}, "extra": None}, "list": [3]}
    assert ownership.merge_patch(desired, desired) == {}


def test_body_hash_ignores_metadata_status_and_key_order() -> None:
    a = {"kind": "X", "metadata": {"name": "a"}, "spec": {"x": 1, "y": 2}}
    b = {"status": {"phase": "ok"}, "metadata": {"name": "b", "labels": {"l": "1"}}, "spec": {"y": 2, "x": 1}}
    assert ownership.body_hash(a) == ownership.body_hash(b)
    assert ownership.body_hash(a) != ownership.body_hash({"spec": {"x": 2, "y": 2}})
    assert ownership.body_hash(a).startswith("sha256:")


def test_ownership_needs_label_and_same_source() -> None:
    source = ownership.Source("https://git.example/repo", "manifests")
    stamped = {"metadata": ownership.ownership_metadata({"metadata": {}}, source, "rev1")}
    assert ownership.is_managed(stamped, source)
    assert not ownership.is_managed(stamped, ownership.Source("https://git.example/other", "manifests"))
    assert not ownership.is_managed({"metadata": {"annotations": stamped["metadata"]["annotations"]}}, source)


def test_github_and_gitlab_webhook_authentication() -> None:
    body = b'{"ref": "refs/heads/main"}'
    good = webhook.github_signature(b"secret", body)
    assert good.startswith("sha256=") and len(good) == 71
    assert webhook.authentic({"X-Hub-Signature-256": good}, body, b"secret")
    assert not webhook.authentic({"X-Hub-Signature-256": good}, body + b" ", b"secret")
    assert webhook.authentic({"x-gitlab-token": "secret"}, body, b"secret")
    assert not webhook.authentic({}, body, b"secret")
    assert webhook.pushed_branch(body) == "main"
    assert webhook.pushed_branch(b'{"ref": "refs/tags/v1"}') is None
    assert webhook.pushed_branch(b"not json") is None


def test_render_reads_multi_document_files_and_drops_nulls(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text("kind: A\nmetadata: {name: a, labels: null}\n---\n---\nkind: B\n")
    (tmp_path / "sub" / "c.yml").write_text("kind: C\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("kind: Hidden\n")
    (tmp_path / "notes.txt").write_text("kind: Text\n")
    documents = render(tmp_path)
    assert [(d.origin, d.obj["kind"]) for d in documents] == [
        ("a.yaml#0", "A"),
        ("a.yaml#2", "B"),
        ("sub/c.yml#0", "C"),
    ]
    assert documents[0].obj["metadata"] == {"name": "a"}


def test_the_synced_path_must_stay_inside_the_repository(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="outside the repository"):
        manifest_folder(tmp_path / "repo", "../elsewhere")
    with pytest.raises(RenderError, match="does not exist"):
        manifest_folder(tmp_path, "missing")


def _kustomized(tmp_path: Path) -> Path:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- wt.yaml\ncommonLabels:\n  team: data\n")
    (tmp_path / "wt.yaml").write_text(json.dumps(workflow_template("alpha")))
    (tmp_path / "ignored.yaml").write_text(json.dumps(workflow_template("not-listed")))
    return tmp_path


def test_a_kustomization_without_kustomize_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(RenderError, match="neither `kustomize` nor `kubectl` is installed"):
        render(_kustomized(tmp_path))


@pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None, reason="no kustomize")
def test_a_kustomization_is_built_by_kustomize(tmp_path: Path) -> None:
    documents = render(_kustomized(tmp_path))
    assert [d.obj["metadata"]["name"] for d in documents] == ["alpha"]
    assert documents[0].obj["metadata"]["labels"] == {"team": "data"}


def test_retries_back_off_exponentially_then_give_up() -> None:
    waits: list[float] = []
    calls: Iterator[str | Exception] = iter(
        [KubeApiError(503, "GET", "/x", "busy"), KubeApiError(429, "GET", "/x", "slow down"), "done"]
    )

    def flaky() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=10.0, jitter=0.0)
    assert call_with_retries(flaky, is_transient, policy, waits.append) == "done"
    assert waits == [1.0, 2.0]
    with pytest.raises(KubeApiError, match="HTTP 403"):
        call_with_retries(lambda: (_ for _ in ()).throw(KubeApiError(403, "GET", "/x", "no")), is_transient, policy)
    assert not is_transient(KubeApiError(404, "GET", "/x", "missing"))
    assert is_transient(ConnectionError("reset"))


def test_kinds_paths_and_order() -> None:
    assert KNOWN_KINDS["ConfigMap"].collection_path("ns") == "/api/v1/namespaces/ns/configmaps"
    cwt = ObjectRef("ClusterWorkflowTemplate", None, "shared")
    assert cwt.path == "/apis/argoproj.io/v1alpha1/clusterworkflowtemplates/shared"
    assert str(cwt) == "ClusterWorkflowTemplate shared"
    assert [k.kind for k in resolve_kinds(["CronWorkflow", "ConfigMap", "WorkflowTemplate"])] == [
        "ConfigMap",
        "WorkflowTemplate",
        "CronWorkflow",
    ]
    with pytest.raises(ValueError, match="unsupported kind"):
        resolve_kinds(["Secret"])


def test_git_token_reaches_git_through_the_environment_only(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("abc123\n")
    env = GitAuth(token_file=token).environment(tmp_path)
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"] == "Authorization: Basic eC1hY2Nlc3MtdG9rZW46YWJjMTIz"  # x-access-token:abc123
    key = tmp_path / "id_ed25519"
    key.write_text("KEY")
    key.chmod(0o644)
    ssh = GitAuth(ssh_key_file=key).environment(tmp_path)["GIT_SSH_COMMAND"]
    assert f"-i {tmp_path / 'ssh-key'}" in ssh and (tmp_path / "ssh-key").stat().st_mode & 0o777 == 0o600


def test_each_sync_posts_a_kubernetes_event(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("seed")
    controller = make_controller(cluster, repo, tmp_path)
    controller.events = EventRecorder(cluster.api(), NAMESPACE, "replica-a")
    controller.sync_once()
    cluster.mark()
    assert controller.sync_once().outcome == Outcome.SYNCED
    # A no-change sync writes nothing to the managed objects; its only write is its own Event.
    assert cluster.writes() == [("POST", f"/api/v1/namespaces/{NAMESPACE}/events")]
    repo.write("manifests/a.yaml", {"kind": "Secret"})
    repo.commit("bad")
    controller.sync_once()
    events = cluster.api().list(f"/api/v1/namespaces/{NAMESPACE}/events")
    assert [(e["type"], e["reason"]) for e in events] == [
        ("Normal", "SyncSucceeded"),
        ("Normal", "SyncSucceeded"),
        ("Warning", "SyncBlocked"),
    ]
    assert events[0]["message"].endswith("1 applied")
    assert events[1]["message"].endswith("no changes")
    assert events[0]["involvedObject"] == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "name": "sparkhu-manifest-sync",
        "namespace": NAMESPACE,
    }


def test_logs_are_json_lines_with_fields() -> None:
    record = logging.LogRecord("manifest_sync", logging.INFO, __file__, 1, "synced %s", ("rev",), None)
    record.fields = {"revision": "abc", "applied": 2}
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "synced rev" and line["level"] == "info"
    assert line["revision"] == "abc" and line["applied"] == 2 and "ts" in line
