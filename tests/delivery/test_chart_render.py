"""What the chart renders for each value set: one source of truth for the workflows, images from
values, configuration without secrets, the controller wired as `sparkhu-sync serve` expects."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from sparkhu import __version__
from sparkhu.tasks.spec import all_tasks
from sparkhu.workflows.images import controller_image, task_image
from sparkhu.workflows.render import rendered_manifests
from tests.delivery.chart import CHART, NAMESPACE, RELEASE, argo_containers, by_kind, one, render

TASKS = tuple(all_tasks().values())

CONTROLLER = f"{RELEASE}-manifest-sync"
RETENTION = f"{RELEASE}-retention"


def _deployment_free(obj: dict[str, Any]) -> dict[str, Any]:
    """Remove what the chart adds to a manifest at install time, leaving what git holds."""
    plain = copy.deepcopy(obj)
    plain["metadata"].pop("namespace")
    plain["metadata"]["labels"] = {
        key: value for key, value in plain["metadata"]["labels"].items()
        if key in {"app.kubernetes.io/name", "app.kubernetes.io/part-of"}
    }  # fmt: skip
    spec = plain["spec"]
    # serviceAccountName stays: the default value names the same account as the manifests.
    for key in ("imagePullSecrets", "suspend"):
        spec.pop(key, None)
    for template in spec.get("templates", []):
        if "container" in template:
            template["container"].pop("imagePullPolicy")
            template["container"]["image"] = template["container"]["image"].rsplit("/", 1)[-1]
    return plain


def _plain_manifest(obj: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(obj)
    for template in plain["spec"].get("templates", []):
        if "container" in template:
            template["container"]["image"] = template["container"]["image"].rsplit("/", 1)[-1]
    return plain


def test_the_chart_copy_of_the_manifests_is_the_rendering_of_the_code() -> None:
    copies = {path.name: path.read_text(encoding="utf-8") for path in (CHART / "files" / "manifests").glob("*.yaml")}
    assert copies == rendered_manifests()


def test_chart_workflows_are_the_manifests_plus_deployment_settings(default_objects: list[dict[str, Any]]) -> None:
    manifests = [yaml.safe_load(text) for text in rendered_manifests().values()]
    argo = [obj for obj in default_objects if obj["kind"] in {"WorkflowTemplate", "CronWorkflow"}]
    # daily univariate, multivariate, models and the CronWorkflow chaining them; retention and its CronWorkflow
    assert len(argo) == len(manifests) == 6
    chart = {(obj["kind"], obj["metadata"]["name"]): _deployment_free(obj) for obj in argo}
    assert chart == {(doc["kind"], doc["metadata"]["name"]): _plain_manifest(doc) for doc in manifests}
    assert all(obj["metadata"]["namespace"] == NAMESPACE for obj in argo)
    assert one(argo, "CronWorkflow", "sparkhu-daily")["spec"]["suspend"] is False
    assert one(argo, "CronWorkflow", "sparkhu-retention")["spec"]["suspend"] is False


def test_default_images_are_the_ones_images_py_names(default_objects: list[dict[str, Any]]) -> None:
    for name, template in argo_containers(default_objects):
        assert template["container"]["image"] == task_image(name.removeprefix("task-"))
        assert template["container"]["imagePullPolicy"] == "IfNotPresent"
    container = one(default_objects, "Deployment", CONTROLLER)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == controller_image()


def test_registry_and_tag_values_reach_every_sparkhu_image(renderings: dict[str, list[dict[str, Any]]]) -> None:
    items = renderings["registry-tag"]
    templates = dict(argo_containers(items))
    assert sorted(templates) == sorted(spec.template_name for spec in TASKS)
    for name, template in templates.items():
        assert template["container"]["image"] == task_image(name.removeprefix("task-"), "ghcr.io/acme", "1.2.3")
        assert template["container"]["imagePullPolicy"] == "Always"
    workflow_template = one(items, "WorkflowTemplate", "sparkhu-daily-univariate")
    assert workflow_template["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    pod = one(items, "Deployment", CONTROLLER)["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == controller_image("ghcr.io/acme", "1.2.3")
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]


def test_default_config_is_empty_and_servers_fill_it(renderings: dict[str, list[dict[str, Any]]]) -> None:
    assert one(renderings["defaults"], "ConfigMap", "sparkhu-config").get("data") in (None, {})
    data = one(renderings["mlflow-postgres"], "ConfigMap", "sparkhu-config")["data"]
    assert data == {
        "SPARKHU_LAKE_URI": "s3://sparkhu/lake",
        "SPARKHU_DATABASE_URL": f"postgresql+psycopg2://sparkhu@{RELEASE}-postgresql:5432/sparkhu",
        "SPARKHU_MLFLOW_URI": f"http://{RELEASE}-mlflow:5000",
        "MLFLOW_TRACKING_URI": f"http://{RELEASE}-mlflow:5000",
        "SPARKHU_STORAGE_OPTIONS": json.dumps({"AWS_ENDPOINT_URL": "http://minio.minio:9000"}, separators=(",", ":")),
    }


def test_explicit_urls_win_over_the_bundled_servers() -> None:
    values = {
        "postgresql": {"enabled": True},
        "config": {"databaseUrl": "postgresql+psycopg2://app@db.example:5432/ts", "extraEnv": {"SPARKHU_WORKERS": "4"}},
    }
    items = [doc for doc in yaml.safe_load_all(render(values)["sparkhu/templates/configmap.yaml"]) if doc]
    assert items[0]["data"] == {
        "SPARKHU_DATABASE_URL": "postgresql+psycopg2://app@db.example:5432/ts",
        "SPARKHU_WORKERS": "4",
    }


def test_bundled_servers_take_their_password_from_the_existing_secret(
    renderings: dict[str, list[dict[str, Any]]],
) -> None:
    items = renderings["mlflow-postgres"]
    postgres = one(items, "Deployment", f"{RELEASE}-postgresql")["spec"]["template"]["spec"]["containers"][0]
    env = {entry["name"]: entry for entry in postgres["env"]}
    assert env["POSTGRES_PASSWORD"] == {
        "name": "POSTGRES_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "sparkhu-secrets", "key": "PGPASSWORD"}},
    }
    assert postgres["image"] == "postgres:16.10-bookworm"
    claims = {
        pvc["metadata"]["name"]: pvc["spec"]["resources"]["requests"]["storage"]
        for pvc in by_kind(items, "PersistentVolumeClaim")
    }
    assert claims == {f"{RELEASE}-mlflow": "10Gi", f"{RELEASE}-postgresql": "20Gi"}
    services = {svc["metadata"]["name"]: svc["spec"]["ports"][0]["port"] for svc in by_kind(items, "Service")}
    assert services == {CONTROLLER: 8080, RETENTION: 8080, f"{RELEASE}-mlflow": 5000, f"{RELEASE}-postgresql": 5432}


def test_controller_runs_sparkhu_sync_serve_with_probes(default_objects: list[dict[str, Any]]) -> None:
    pod = one(default_objects, "Deployment", CONTROLLER)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == [
        "serve", "--repo", "https://github.com/sparkhu/sparkhu.git", "--branch", "main", "--path", "manifests",
        "--namespace", NAMESPACE, "--interval", "60", "--port", "8080",
        "--kind", "WorkflowTemplate", "--kind", "CronWorkflow", "--kind", "ConfigMap",
    ]  # fmt: skip
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert [entry["name"] for entry in container["env"]] == ["HOME", "POD_NAME"]  # no credentials configured
    assert [mount["mountPath"] for mount in container["volumeMounts"]] == ["/tmp"]


def test_controller_credentials_come_from_mounted_secret_files(renderings: dict[str, list[dict[str, Any]]]) -> None:
    deployment = one(renderings["ssh-webhook-git-owned"], "Deployment", CONTROLLER)
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"][:9] == ["serve", "--repo", "git@github.com:acme/ops.git", "--branch", "prod", "--path",
                                     "argo/sparkhu", "--namespace", NAMESPACE]  # fmt: skip
    assert container["args"][-1] == "--no-prune"
    env = {entry["name"]: entry.get("value") for entry in container["env"]}
    assert env == {
        "POD_NAME": None,
        "SPARKHU_SYNC_SSH_KEY_FILE": "/var/run/secrets/sparkhu-sync/git/ssh-privatekey",
        "SPARKHU_SYNC_SSH_KNOWN_HOSTS_FILE": "/var/run/secrets/sparkhu-sync/git/known_hosts",
        "SPARKHU_SYNC_WEBHOOK_SECRET_FILE": "/var/run/secrets/sparkhu-sync/webhook/webhook-secret",
        "HOME": "/tmp",
    }
    secrets = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    assert secrets == {"git-credentials": "git-creds", "webhook-secret": "sync-webhook"}
    assert all(m.get("readOnly") for m in container["volumeMounts"] if m["name"] != "tmp")


def test_token_auth_sets_the_token_file_and_user() -> None:
    values = {"controller": {"git": {"auth": "token", "credentialsSecret": "gh", "username": "oauth2"}}}
    deployment = yaml.safe_load(render(values)["sparkhu/templates/controller.yaml"].split("\n---\n")[0])
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SPARKHU_SYNC_GIT_TOKEN_FILE"] == "/var/run/secrets/sparkhu-sync/git/token"
    assert env["SPARKHU_SYNC_GIT_USERNAME"] == "oauth2"


def test_toggles_leave_out_what_is_disabled(renderings: dict[str, list[dict[str, Any]]]) -> None:
    def names(value_set: str) -> set[tuple[str, str]]:
        return {(obj["kind"], obj["metadata"]["name"]) for obj in renderings[value_set]}

    controller_objects = {
        ("Deployment", CONTROLLER), ("Service", CONTROLLER), ("ServiceAccount", CONTROLLER),
        ("Role", CONTROLLER), ("RoleBinding", CONTROLLER), ("NetworkPolicy", CONTROLLER),
    }  # fmt: skip
    assert controller_objects <= names("defaults")
    assert names("defaults") - names("controller-disabled") == controller_objects
    workflows = {("WorkflowTemplate", "sparkhu-daily-univariate"), ("CronWorkflow", "sparkhu-daily")}
    assert workflows <= names("controller-disabled")
    assert not workflows & names("ssh-webhook-git-owned")
    assert not {kind for kind, _ in names("defaults")} & {"PersistentVolumeClaim"}


def test_chart_version_follows_the_package() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["appVersion"] == __version__
