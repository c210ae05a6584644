"""``sparkhu-sync``: ``serve`` (the long-running controller), ``plan`` (diff, exit 0/1/2) and ``sync`` (once)."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from manifest_sync.config import Mode, SyncConfig
from manifest_sync.controller import Controller, SyncFailure
from manifest_sync.events import EventRecorder
from manifest_sync.kinds import DEFAULT_KINDS
from manifest_sync.kube import KubeApi, api_client_from
from manifest_sync.leader import LeaderElector
from manifest_sync.logs import configure_logging
from manifest_sync.planner import Action, Plan
from manifest_sync.retry import RetryPolicy
from manifest_sync.server import create_app
from manifest_sync.source import GitAuth, GitSource
from manifest_sync.status import Outcome

# Backoff of API calls; a dead cluster costs plan/sync about 8 s of retries before exit code 2.
API_RETRY = RetryPolicy()
app = typer.Typer(
    help="Sync Argo WorkflowTemplates and friends from a git folder into a cluster.", no_args_is_help=True
)

Repo = Annotated[str, typer.Option("--repo", help="Git clone URL (https://, ssh://, git@..., file://).")]
Branch = Annotated[str, typer.Option("--branch", help="Branch to follow.")]
PathOpt = Annotated[str, typer.Option("--path", help="Folder of the manifests inside the repository.")]
Namespace = Annotated[str, typer.Option("--namespace", help="Default namespace; home of the Lease and Events.")]
Allowed = Annotated[
    list[str] | None, typer.Option("--allowed-namespace", help="Namespace objects may target (repeat).")
]
Kinds = Annotated[
    list[str] | None, typer.Option("--kind", help=f"Managed kind (repeat; default {', '.join(DEFAULT_KINDS)}).")
]
ModeOpt = Annotated[Mode, typer.Option("--mode", help="apply: correct drift; detect-only: report it.")]
NoPrune = Annotated[bool, typer.Option("--no-prune", help="Keep objects that git no longer declares.")]
Kubeconfig = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Kubeconfig file (default: in-cluster, then ~/.kube).")
]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")]
Schema = Annotated[
    Path | None,
    typer.Option("--schema", help="Argo JSON schema (default $SPARKHU_SYNC_ARGO_SCHEMA, else the bundled v4.1.2 one)."),
]
Kustomize = Annotated[
    str | None, typer.Option("--kustomize", help="Command that builds a kustomization, e.g. 'kustomize build'.")
]
Workdir = Annotated[Path | None, typer.Option("--workdir", help="Folder for the git working copy.")]


def _config(
    repo: str,
    branch: str,
    path: str,
    namespace: str,
    allowed: list[str] | None,
    kinds: list[str] | None,
    mode: Mode,
    no_prune: bool,
    schema: Path | None,
    kustomize: str | None,
    workdir: Path | None,
    interval: float = 60.0,
) -> SyncConfig:
    """Settings from the shared options (unset schema/workdir take their defaults)."""
    extra: dict[str, Path] = {"workdir": workdir} if workdir else {}
    if schema is not None:
        extra["schema_path"] = schema
    return SyncConfig(
        repo=repo,
        branch=branch,
        path=path,
        namespace=namespace,
        allowed_namespaces=frozenset(allowed or ()),
        kinds=tuple(kinds or DEFAULT_KINDS),
        mode=mode,
        prune=not no_prune,
        interval=interval,
        kustomize=kustomize,
        **extra,
    )


def _controller(config: SyncConfig, kubeconfig: Path | None, context: str | None) -> Controller:
    """A controller without election or events (for ``plan`` and ``sync``)."""
    api = KubeApi(api_client_from(kubeconfig, context), retry=API_RETRY)
    return Controller(config, api, GitSource(config.repo, config.branch, config.workdir, GitAuth.from_env()))


def print_plan(plan: Plan) -> None:
    """Print each pending change with its unified diff, then a summary line."""
    symbols = {Action.CREATE: "+", Action.UPDATE: "~", Action.DRIFT: "!", Action.PRUNE: "-", Action.KEEP: "="}
    for change in plan.changes:
        if change.action == Action.UNCHANGED:
            continue
        typer.echo(f"{symbols[change.action]} {change.action} {change.ref}: {change.reason}")
        if change.action != Action.KEEP:
            typer.echo(change.diff())
    counts = {action: len(plan.with_action(action)) for action in Action}
    typer.echo(f"revision {plan.revision[:12]}: " + ", ".join(f"{n} {a}" for a, n in counts.items()))


@app.command()
def plan(
    repo: Repo,
    branch: Branch = "main",
    path: PathOpt = ".",
    namespace: Namespace = "default",
    allowed_namespace: Allowed = None,
    kind: Kinds = None,
    mode: ModeOpt = Mode.APPLY,
    no_prune: NoPrune = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    schema: Schema = None,
    kustomize: Kustomize = None,
    workdir: Workdir = None,
) -> None:
    """Show what a sync would change. Exit 0: in sync; 1: changes pending; 2: error."""
    try:
        with tempfile.TemporaryDirectory(prefix="sparkhu-plan-") as scratch:
            options = (repo, branch, path, namespace, allowed_namespace, kind, mode, no_prune, schema, kustomize)
            config = _config(*options, workdir or Path(scratch))
            result = _controller(config, kubeconfig, context).plan()
    except SyncFailure as failure:
        typer.echo(f"error at {failure.stage}:", err=True)
        for problem in failure.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from failure
    except Exception as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    print_plan(result)
    raise typer.Exit(1 if result.pending else 0)


@app.command()
def sync(
    repo: Repo,
    branch: Branch = "main",
    path: PathOpt = ".",
    namespace: Namespace = "default",
    allowed_namespace: Allowed = None,
    kind: Kinds = None,
    mode: ModeOpt = Mode.APPLY,
    no_prune: NoPrune = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    schema: Schema = None,
    kustomize: Kustomize = None,
    workdir: Workdir = None,
) -> None:
    """Sync once and print the per-object results. Exit 0: synced; 2: failed or blocked."""
    try:
        with tempfile.TemporaryDirectory(prefix="sparkhu-sync-") as scratch:
            options = (repo, branch, path, namespace, allowed_namespace, kind, mode, no_prune, schema, kustomize)
            config = _config(*options, workdir or Path(scratch))
            report = _controller(config, kubeconfig, context).sync_once()
    except Exception as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    for item in report.objects:
        typer.echo(f"{item.result:10} {item.object}" + (f"  ({item.message})" if item.result == "failed" else ""))
    for problem in report.errors:
        typer.echo(f"error: {problem}", err=True)
    typer.echo(f"{report.outcome} revision {(report.revision or '-')[:12]} in {report.duration_s:.2f}s")
    raise typer.Exit(0 if report.outcome == Outcome.SYNCED else 2)


@app.command()
def serve(
    repo: Repo,
    branch: Branch = "main",
    path: PathOpt = ".",
    namespace: Namespace = "default",
    allowed_namespace: Allowed = None,
    kind: Kinds = None,
    mode: ModeOpt = Mode.APPLY,
    no_prune: NoPrune = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    schema: Schema = None,
    kustomize: Kustomize = None,
    workdir: Workdir = None,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between polls.")] = 60.0,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option("--port", help="Port of /healthz /readyz /status /metrics /webhook.")] = 8080,
    identity: Annotated[
        str | None, typer.Option("--identity", help="Replica name (default $POD_NAME or host name).")
    ] = None,
    leader_election: Annotated[bool, typer.Option(help="Hold the Lease before syncing.")] = True,
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
) -> None:
    """Run the controller: poll and sync, serve health/status/metrics and the webhook."""
    configure_logging(log_level)
    config = _config(
        repo, branch, path, namespace, allowed_namespace, kind, mode, no_prune, schema, kustomize, workdir, interval
    )
    name = identity or os.environ.get("POD_NAME") or socket.gethostname()
    api = KubeApi(api_client_from(kubeconfig, context))
    elector = LeaderElector(api, namespace, name) if leader_election else None
    controller = Controller(
        config,
        api,
        GitSource(config.repo, config.branch, config.workdir, GitAuth.from_env()),
        events=EventRecorder(api, namespace, name),
        elector=elector,
    )
    _serve(controller, host, port)


def _serve(controller: Controller, host: str, port: int) -> None:
    """Run the election and sync threads beside the HTTP server; stop them when the server stops."""
    stop = threading.Event()
    threads = [threading.Thread(target=controller.run, name="sync", daemon=True)]
    if controller.elector is not None:
        lease_loop = controller.elector.run
        threads.append(threading.Thread(target=lease_loop, args=(stop, controller.on_leadership), daemon=True))
    for thread in threads:
        thread.start()

    def shutdown() -> None:
        controller.stop()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    server_app = create_app(controller, alive=threads[0].is_alive, on_shutdown=shutdown)
    uvicorn.run(server_app, host=host, port=port, log_config=None)


def main() -> None:
    """Console-script entry point."""
    app()
