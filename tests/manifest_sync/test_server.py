"""The HTTP side: health, readiness, status, metrics and the authenticated webhook (FastAPI TestClient)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from manifest_sync.controller import Controller
from manifest_sync.server import create_app
from tests.manifest_sync.conftest import Cluster, GitRepo, make_controller, workflow_template

SECRET = b"s3cret-webhook"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "abc"}).encode()


def _sign(body: bytes, secret: bytes = SECRET) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@pytest.fixture()
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "webhook-secret"
    path.write_bytes(SECRET + b"\n")
    return path


@pytest.fixture()
def controller(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> Controller:
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("seed")
    return make_controller(cluster, repo, tmp_path)


@pytest.fixture()
def running(controller: Controller) -> Iterator[Controller]:
    """The controller's loop in a thread (one sync at start, then only on triggers: interval is 1 h)."""
    thread = threading.Thread(target=controller.run, daemon=True)
    thread.start()
    yield controller
    controller.stop()
    thread.join(10)


def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_probes_status_and_metrics_before_and_after_a_sync(controller: Controller, repo: GitRepo) -> None:
    http = TestClient(create_app(controller))
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 503
    assert http.get("/status").json()["synced_revision"] is None
    controller.sync_once()
    assert http.get("/readyz").json() == {"ready": True, "reason": "ready"}
    status = http.get("/status").json()
    assert status["synced_revision"] == repo.history[-1]
    assert status["source"] == {"repo": repo.url, "branch": "main", "path": "manifests"}
    assert status["last_attempt"]["objects"][0]["object"] == "WorkflowTemplate argo/alpha"
    assert status["last_attempt"]["objects"][0]["result"] == "applied"
    metrics = http.get("/metrics").text
    assert 'sparkhu_sync_objects_applied_total{action="create"} 1.0' in metrics
    assert 'sparkhu_sync_duration_seconds_count{outcome="synced"} 1.0' in metrics
    assert "sparkhu_sync_last_success_timestamp_seconds 1." in metrics
    assert "sparkhu_sync_objects_pruned_total 0.0" in metrics


def test_healthz_fails_when_the_sync_loop_died(controller: Controller) -> None:
    http = TestClient(create_app(controller, alive=lambda: False))
    assert http.get("/healthz").status_code == 503


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": _sign(PUSH, b"wrong-secret")},
        {"X-Gitlab-Token": "wrong"},
    ],
    ids=["missing", "garbage", "wrong-secret", "gitlab-wrong"],
)
def test_webhook_rejects_a_bad_or_missing_signature(
    controller: Controller, secret_file: Path, headers: dict[str, str]
) -> None:
    http = TestClient(create_app(controller, secret_file))
    response = http.post("/webhook", content=PUSH, headers=headers)
    assert response.status_code == 401
    assert not controller._wake.is_set()


def test_webhook_without_a_configured_secret_is_refused(controller: Controller, tmp_path: Path) -> None:
    http = TestClient(create_app(controller, tmp_path / "absent"))
    assert http.post("/webhook", content=PUSH, headers={"X-Hub-Signature-256": _sign(PUSH)}).status_code == 503


def test_webhook_ignores_pushes_to_other_branches(controller: Controller, secret_file: Path) -> None:
    body = json.dumps({"ref": "refs/heads/feature"}).encode()
    response = TestClient(create_app(controller, secret_file)).post(
        "/webhook", content=body, headers={"X-Hub-Signature-256": _sign(body)}
    )
    assert response.status_code == 202 and response.json()["triggered"] is False


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_signed_webhook_triggers_a_sync_at_once(
    running: Controller, cluster: Cluster, repo: GitRepo, secret_file: Path, provider: str
) -> None:
    http = TestClient(create_app(running, secret_file))
    _wait_for(lambda: running.status.last_good is not None)
    repo.write("manifests/b.yaml", workflow_template("beta"))
    revision = repo.commit("add beta")
    headers = {"X-Hub-Signature-256": _sign(PUSH)} if provider == "github" else {"X-Gitlab-Token": SECRET.decode()}
    response = http.post("/webhook", content=PUSH, headers=headers)
    assert response.status_code == 202 and response.json() == {"triggered": True}
    _wait_for(lambda: http.get("/status").json()["synced_revision"] == revision)  # not the 1-hour poll
    assert sorted(cluster.objects("WorkflowTemplate")) == ["alpha", "beta"]
