#!/usr/bin/env bash
# End-to-end check of the Kubernetes delivery on a throwaway local cluster (`make e2e`; see docs/deploy.md).
#
#   1. create a kind (or k3d) cluster and load the images `make images` builds into it;
#   2. install Argo Workflows (pinned) and the sparkhu chart, with the chart's own copy of the
#      templates switched off so that git is their only owner;
#   3. start a git server inside the cluster (git daemon, from the controller image, which has git),
#      push manifests/ to it and point the manifest-sync controller at it;
#   4. wait until the controller has applied the WorkflowTemplate and the CronWorkflow, then submit a
#      run from the template and wait for it to succeed.
#
# Needs docker (with a running engine), kubectl, helm, git and kind or k3d; the argo CLI is used when
# present. Not run in CI. Settings (environment):
#   SPARKHU_E2E_PROVIDER  kind | k3d (default: whichever is installed, kind first)
#   SPARKHU_E2E_CLUSTER   cluster name (default sparkhu-e2e)
#   SPARKHU_E2E_KEEP      1 keeps the cluster afterwards (default 0: deleted, even on failure)
#   SPARKHU_E2E_TIMEOUT   seconds to wait for each step (default 600)
#   ARGO_VERSION          Argo Workflows release (default v4.1.2, the version the schema checks use)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER=${SPARKHU_E2E_CLUSTER:-sparkhu-e2e}
KEEP=${SPARKHU_E2E_KEEP:-0}
TIMEOUT=${SPARKHU_E2E_TIMEOUT:-600}
ARGO_VERSION=${ARGO_VERSION:-v4.1.2}
NAMESPACE=sparkhu
RELEASE=sparkhu
GIT_SERVICE=sparkhu-e2e-git
TEMPLATE=sparkhu-daily-univariate
CRON=sparkhu-daily
SPARKHU=${SPARKHU:-$ROOT/.venv/bin/sparkhu}
PORT_FORWARD_PID=""
WORKDIR=""

log() { echo "e2e: $*"; }
die() { echo "e2e: error: $*" >&2; exit 1; }

# --- preconditions -------------------------------------------------------------------------------
require_tools() {
    local tool
    for tool in docker kubectl helm git; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on the PATH; install it (see docs/deploy.md)"
    done
    [ -x "$SPARKHU" ] || die "$SPARKHU is missing: run 'make install' first"
    docker info >/dev/null 2>&1 || die "no Docker engine answers ('docker info' failed): start Docker"
}

choose_provider() {
    local wanted=${SPARKHU_E2E_PROVIDER:-}
    if [ -z "$wanted" ]; then
        if command -v kind >/dev/null 2>&1; then wanted=kind
        elif command -v k3d >/dev/null 2>&1; then wanted=k3d
        else die "neither kind nor k3d is on the PATH: install one of them"
        fi
    fi
    case "$wanted" in
        kind|k3d) command -v "$wanted" >/dev/null 2>&1 || die "SPARKHU_E2E_PROVIDER=$wanted but '$wanted' is not on the PATH" ;;
        *) die "SPARKHU_E2E_PROVIDER must be kind or k3d, not '$wanted'" ;;
    esac
    PROVIDER=$wanted
}

# --- cluster ------------------------------------------------------------------------------------
cleanup() {
    local status=$?
    if [ -n "$PORT_FORWARD_PID" ]; then kill "$PORT_FORWARD_PID" 2>/dev/null || true; fi
    if [ -n "$WORKDIR" ]; then rm -rf "$WORKDIR"; fi
    if [ "$status" -ne 0 ] && [ -n "${PROVIDER:-}" ]; then
        log "failed; cluster state for the post-mortem:"
        kubectl -n "$NAMESPACE" get pods,workflowtemplates,cronworkflows,workflows 2>/dev/null || true
        kubectl -n "$NAMESPACE" logs "deploy/$RELEASE-manifest-sync" --tail=50 2>/dev/null || true
    fi
    if [ "$KEEP" != 1 ] && [ -n "${PROVIDER:-}" ]; then delete_cluster; fi
    exit "$status"
}

create_cluster() {
    log "creating $PROVIDER cluster $CLUSTER"
    if [ "$PROVIDER" = kind ]; then
        kind create cluster --name "$CLUSTER" --wait "${TIMEOUT}s"
    else
        k3d cluster create "$CLUSTER" --wait --timeout "${TIMEOUT}s"
    fi
}

delete_cluster() {
    log "deleting cluster $CLUSTER (SPARKHU_E2E_KEEP=1 keeps it)"
    if [ "$PROVIDER" = kind ]; then kind delete cluster --name "$CLUSTER"; else k3d cluster delete "$CLUSTER"; fi
}

load_images() {
    log "building the images"
    make -C "$ROOT" images
    local dockerfile image
    while read -r dockerfile image; do
        log "loading $image ($dockerfile)"
        if [ "$PROVIDER" = kind ]; then
            kind load docker-image "$image" --name "$CLUSTER"
        else
            k3d image import "$image" --cluster "$CLUSTER"
        fi
    done < <("$SPARKHU" manifests images)
}

# --- Argo, git server, chart --------------------------------------------------------------------
install_argo() {
    log "installing Argo Workflows $ARGO_VERSION"
    kubectl create namespace argo --dry-run=client -o yaml | kubectl apply -f -
    kubectl apply --server-side -n argo \
        -f "https://github.com/argoproj/argo-workflows/releases/download/$ARGO_VERSION/install.yaml"
    kubectl -n argo rollout status deploy/workflow-controller --timeout "${TIMEOUT}s"
}

controller_image() {
    "$SPARKHU" manifests images | awk '$1 == "manifest_sync/Dockerfile" { print $2 }'
}

start_git_server() {
    log "starting an in-cluster git server ($GIT_SERVICE)"
    kubectl -n "$NAMESPACE" apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $GIT_SERVICE
  labels: {app: $GIT_SERVICE}
spec:
  replicas: 1
  selector:
    matchLabels: {app: $GIT_SERVICE}
  template:
    metadata:
      labels: {app: $GIT_SERVICE}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: {type: RuntimeDefault}}
      initContainers:
        - name: init
          image: $(controller_image)
          command: ["sh", "-c", "git init --bare --initial-branch=main /srv/git/manifests.git && git -C /srv/git/manifests.git config daemon.receivepack true"]
          resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 200m, memory: 128Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          volumeMounts: [{name: repos, mountPath: /srv/git}]
      containers:
        - name: git-daemon
          image: $(controller_image)
          command: ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--base-path=/srv/git", "--port=9418", "/srv/git"]
          ports: [{name: git, containerPort: 9418}]
          resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 200m, memory: 128Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          volumeMounts: [{name: repos, mountPath: /srv/git}]
      volumes: [{name: repos, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata:
  name: $GIT_SERVICE
spec:
  selector: {app: $GIT_SERVICE}
  ports: [{name: git, port: 9418, targetPort: git}]
EOF
    kubectl -n "$NAMESPACE" rollout status "deploy/$GIT_SERVICE" --timeout "${TIMEOUT}s"
}

push_manifests() {
    local port=19418
    log "pushing manifests/ to the in-cluster repository"
    kubectl -n "$NAMESPACE" port-forward "svc/$GIT_SERVICE" "$port:9418" >/dev/null 2>&1 &
    PORT_FORWARD_PID=$!
    sleep 3
    WORKDIR=$(mktemp -d)
    mkdir -p "$WORKDIR/repo/manifests"
    cp "$ROOT"/manifests/*.yaml "$WORKDIR/repo/manifests/"
    git -C "$WORKDIR/repo" init --quiet --initial-branch=main
    git -C "$WORKDIR/repo" add manifests
    git -C "$WORKDIR/repo" -c user.name=e2e -c user.email=e2e@sparkhu.invalid commit --quiet -m "sparkhu manifests"
    git -C "$WORKDIR/repo" push --quiet "git://127.0.0.1:$port/manifests.git" HEAD:main
    kill "$PORT_FORWARD_PID" && PORT_FORWARD_PID=""
}

install_chart() {
    log "installing the chart (release $RELEASE)"
    # The task pods read this Secret with envFrom; a real install puts credentials in it (docs/deploy.md).
    kubectl -n "$NAMESPACE" create secret generic sparkhu-secrets --from-literal=SPARKHU_WORKERS=1 \
        --dry-run=client -o yaml | kubectl apply -f -
    # The retention service starts only with tokens: one random admin token, of which the Secret holds the digest.
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
        | "$SPARKHU" retention token hash --name e2e --scope admin > "$WORKDIR/tokens"
    kubectl -n "$NAMESPACE" create secret generic sparkhu-retention-tokens --from-file=tokens="$WORKDIR/tokens" \
        --dry-run=client -o yaml | kubectl apply -f -
    helm upgrade --install "$RELEASE" "$ROOT/charts/sparkhu" --namespace "$NAMESPACE" --wait \
        --timeout "${TIMEOUT}s" \
        --set workflows.enabled=false \
        --set "controller.git.repo=git://$GIT_SERVICE.$NAMESPACE.svc.cluster.local:9418/manifests.git" \
        --set controller.git.branch=main \
        --set controller.git.path=manifests \
        --set controller.git.interval=10
}

# --- checks -------------------------------------------------------------------------------------
wait_for() {
    local what=$1; shift
    local waited=0
    until "$@" >/dev/null 2>&1; do
        [ "$waited" -lt "$TIMEOUT" ] || die "timed out after ${TIMEOUT}s waiting for $what"
        sleep 5
        waited=$((waited + 5))
    done
    log "ready: $what"
}

submit_run() {
    local start end name
    start=$(date -u -d 'yesterday' +%Y-%m-%dT00:00:00Z)
    end=$(date -u +%Y-%m-%dT00:00:00Z)
    log "submitting a run of $TEMPLATE for $start .. $end"
    if command -v argo >/dev/null 2>&1; then
        name=$(argo submit -n "$NAMESPACE" --from "workflowtemplate/$TEMPLATE" --serviceaccount sparkhu-workflow \
            -p "start=$start" -p "end=$end" -o name)
    else
        name=$(kubectl -n "$NAMESPACE" create -o name -f - <<EOF | sed 's|.*/||'
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: $TEMPLATE-
spec:
  serviceAccountName: sparkhu-workflow
  workflowTemplateRef: {name: $TEMPLATE}
  arguments:
    parameters: [{name: start, value: "$start"}, {name: end, value: "$end"}]
EOF
)
    fi
    wait_for_phase "$name"
}

wait_for_phase() {
    local name=$1 phase="" waited=0
    while [ "$waited" -lt "$TIMEOUT" ]; do
        phase=$(kubectl -n "$NAMESPACE" get workflow "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)
        case "$phase" in
            Succeeded) log "workflow $name succeeded"; return 0 ;;
            Failed|Error) kubectl -n "$NAMESPACE" get workflow "$name" -o yaml >&2; die "workflow $name ended $phase" ;;
        esac
        sleep 5
        waited=$((waited + 5))
    done
    die "workflow $name still '$phase' after ${TIMEOUT}s"
}

main() {
    require_tools
    choose_provider
    trap cleanup EXIT
    create_cluster
    load_images
    install_argo
    kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
    start_git_server
    push_manifests
    install_chart
    wait_for "WorkflowTemplate $TEMPLATE applied by the controller" \
        kubectl -n "$NAMESPACE" get workflowtemplate "$TEMPLATE"
    wait_for "CronWorkflow $CRON applied by the controller" kubectl -n "$NAMESPACE" get cronworkflow "$CRON"
    submit_run
    log "end-to-end check passed"
}

main "$@"
