"""``run_workflow``: run a WorkflowTemplate on this machine and record the run."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sparkhu.config import Settings
from sparkhu.executor import check, spec
from sparkhu.executor.context import RunContext, bind_inputs, now
from sparkhu.executor.dag import DagOutcome, DagRunner
from sparkhu.executor.errors import NodeError, ParameterError
from sparkhu.executor.launch import GRACE_S, Launcher, ProcessLauncher
from sparkhu.executor.node import run_process_node
from sparkhu.executor.recorder import EventHandler, Recorder
from sparkhu.executor.results import NodeResult, RunResult
from sparkhu.executor.retry import BackoffMode, RetryTiming
from sparkhu.executor.warm import DEFAULT_ENTRYPOINTS, WarmLauncher


def load_workflow(source: Path | str | Mapping[str, Any]) -> spec.WorkflowSpec:
    """Parse and check a workflow without running it.

    Raises:
        WorkflowSpecError: (or its subclass UnsupportedFeatureError) when it cannot run.

    """
    workflow = spec.load(source)
    check.check(workflow)
    return workflow


def run_workflow(
    source: Path | str | Mapping[str, Any],
    parameters: Mapping[str, str] | None,
    settings: Settings,
    parallelism: int | None = None,
    warm: bool = True,
    on_event: EventHandler | None = None,
    warm_entrypoints: Mapping[str, str] | None = None,
    backoff: BackoffMode | str = BackoffMode.LOCAL,
) -> RunResult:
    """Run a Workflow/WorkflowTemplate locally and record it in the metadata database.

    Args:
        source: A YAML file, or the document as a mapping.
        parameters: Values of ``spec.arguments.parameters`` (override the declared values).
        settings: Where logs and the run database live; node processes get its ``SPARKHU_*`` values.
        parallelism: Most node processes at once; default ``spec.parallelism`` capped at
            ``settings.workers``, or ``settings.workers``.
        warm: Run commands named in ``warm_entrypoints`` in warm worker processes. As with any
            multiprocessing code, a script calling this with ``warm=True`` needs the
            ``if __name__ == "__main__":`` guard (workers re-import the main module).
        on_event: Called (from several threads) as the run and its nodes change.
        warm_entrypoints: Command name → ``module:function`` taking argv and returning an exit code.
        backoff: ``local`` (default): the manifests' retry limits and policies with delays of at most
            0.2 s, and no retry of a command that refused its input (exit code 2); ``manifest``: the
            manifests' backoff and policies exactly (see :mod:`sparkhu.executor.retry`).

    Returns:
        The run's result; ``status`` is Succeeded, Failed or Error.

    Raises:
        WorkflowSpecError: Before anything runs, when the workflow or a parameter is unusable.
        ValueError: When ``backoff`` is not a :class:`BackoffMode` value.

    """
    timing = RetryTiming(BackoffMode(backoff))
    workflow = load_workflow(source)
    values = workflow_parameters(workflow, parameters or {})
    run = RunResult(str(uuid.uuid4()), workflow.name, "Running", [], now(), parameters=values)
    width = effective_parallelism(workflow, settings, parallelism)
    entrypoints = DEFAULT_ENTRYPOINTS if warm_entrypoints is None else warm_entrypoints
    launcher: Launcher = WarmLauncher(entrypoints, width) if warm and entrypoints else ProcessLauncher()
    file = "" if isinstance(source, Mapping) else str(Path(source).resolve())
    recorder = Recorder(settings.database, run, file, on_event)
    ctx = RunContext(
        run_id=run.run_id, spec=workflow, workflow_scope=_workflow_scope(workflow, run, values),
        log_dir=settings.logs / run.run_id, limiter=threading.Semaphore(width), launcher=launcher,
        recorder=recorder, base_env=_base_env(settings), retry_timing=timing,
    )
    ctx.log_dir.mkdir(parents=True, exist_ok=True)
    recorder.start()
    try:
        outcome = _run_entrypoint(ctx)
    except BaseException:
        # Ctrl-C (or a bug): stop the node processes before giving up, so that none outlives the run.
        if isinstance(launcher, WarmLauncher):
            launcher.terminate()
        ctx.stop(GRACE_S + 1.0)
        _finish(run, recorder, "Error", "interrupted")
        raise
    finally:
        launcher.close()
    _finish(run, recorder, outcome.phase, outcome.message)
    return run


def workflow_parameters(workflow: spec.WorkflowSpec, given: Mapping[str, str]) -> dict[str, str]:
    """Values of the workflow parameters: given ones over declared ``value``/``default``.

    Raises:
        ParameterError: For an undeclared name, a missing value or a value outside the enum.

    """
    declared = {parameter.name: parameter for parameter in workflow.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise ParameterError(f"unknown workflow parameter(s) {', '.join(unknown)} (declared: {known})")
    values: dict[str, str] = {}
    for name, parameter in declared.items():
        value = given.get(name, parameter.value if parameter.value is not None else parameter.default)
        if value is None:
            raise ParameterError(f"workflow parameter {name!r} has no value: pass -p {name}=VALUE")
        if parameter.enum and value not in parameter.enum:
            allowed = ", ".join(parameter.enum)
            raise ParameterError(f"workflow parameter {name}={value!r} is not one of {allowed}")
        values[name] = value
    return values


def effective_parallelism(workflow: spec.WorkflowSpec, settings: Settings, requested: int | None) -> int:
    """The flag wins; else the workflow's ``parallelism`` but no more than this machine's workers."""
    if requested is not None:
        if requested < 1:
            raise ParameterError(f"parallelism must be at least 1, got {requested}")
        return requested
    if workflow.parallelism is not None:
        return min(workflow.parallelism, settings.workers)
    return settings.workers


def _run_entrypoint(ctx: RunContext) -> DagOutcome:
    """Run the entrypoint template; the workflow's parameters feed its inputs of the same name."""
    template = ctx.spec.templates[ctx.spec.entrypoint]
    arguments = {k.removeprefix("workflow.parameters."): v for k, v in ctx.workflow_scope.items()
                 if k.startswith("workflow.parameters.")}
    try:
        inputs = bind_inputs(template, arguments, ctx.workflow_scope)
    except NodeError as error:
        return DagOutcome("Error", {}, str(error))
    if template.dag is not None:
        return DagRunner(ctx, template, inputs).run()
    node = NodeResult(template.name, template.name, template.name)
    run_process_node(ctx, node, template, inputs)
    return DagOutcome(node.status, node.outputs, node.message)


def _finish(run: RunResult, recorder: Recorder, status: str, message: str) -> None:
    """Set the run's final status and times, and record them."""
    run.status, run.message, run.finished_at = status, message, now()
    run.duration_s = round((run.finished_at - run.started_at).total_seconds(), 3)
    recorder.finish()


def _workflow_scope(workflow: spec.WorkflowSpec, run: RunResult, values: Mapping[str, str]) -> dict[str, str]:
    """``{{workflow.*}}`` values."""
    scope = {f"workflow.parameters.{name}": value for name, value in values.items()}
    scope["workflow.name"] = f"{workflow.name}-{run.run_id[:8]}"
    scope["workflow.uid"] = run.run_id
    return scope


def _base_env(settings: Settings) -> dict[str, str]:
    """The environment of this process plus the settings in force, so node processes use the same home."""
    env = dict(os.environ)
    env["SPARKHU_HOME"] = str(settings.home)
    for name, value in (("LAKE_URI", settings.lake_uri), ("DATABASE_URL", settings.database_url),
                        ("LOGS_DIR", settings.logs_dir)):
        if value is not None:
            env[f"SPARKHU_{name}"] = str(value)
    return env
