"""Running a container or script node: resolve its command, run attempts with retries, read outputs."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sparkhu.executor.context import RunContext, template_scope
from sparkhu.executor.errors import NodeError
from sparkhu.executor.outputs import OutputMap, map_outputs, read_outputs
from sparkhu.executor.results import NodeResult
from sparkhu.executor.retry import BackoffMode, RetryTiming, manifest_delay, policy_retries
from sparkhu.executor.spec import RetryStrategy, Template
from sparkhu.executor.templating import substitute


@dataclass(frozen=True)
class Command:
    """A node's resolved command: argv, full environment and output folders."""

    argv: list[str]
    env: dict[str, str]
    outputs: OutputMap


@dataclass(frozen=True)
class Attempt:
    """Outcome of one attempt."""

    phase: str
    exit_code: int | None
    message: str
    outputs: dict[str, str]


def run_process_node(
    ctx: RunContext, node: NodeResult, template: Template, inputs: Mapping[str, str]
) -> None:
    """Run ``node`` (a container/script template called with ``inputs``) to a final status."""
    node.log_path = str(ctx.log_path(node.name))
    ctx.start(node)
    scope = template_scope(ctx.workflow_scope, inputs)
    try:
        command = _resolve(ctx, template, scope, Path(node.log_path).with_suffix(""))
        limit, strategy = _retry_limit(ctx, template, scope)
    except NodeError as error:
        _append_log(Path(node.log_path), f"error: {error}\n")
        ctx.finish(node, "Error", str(error))
        return
    attempt = _attempts(ctx, node, template, command, limit, strategy)
    node.outputs = attempt.outputs
    ctx.finish(node, attempt.phase, attempt.message)


def _attempts(ctx: RunContext, node: NodeResult, template: Template, command: Command, limit: int,
              strategy: RetryStrategy | None) -> Attempt:
    """Run attempts until one succeeds, the policy says stop, or retries run out."""
    first_start = time.monotonic()
    while True:
        node.attempts += 1
        attempt = _attempt(ctx, node, template, command)
        node.exit_code = attempt.exit_code
        if attempt.phase == "Succeeded" or node.attempts > limit or not policy_retries(strategy, attempt.phase):
            return attempt
        timing = ctx.retry_timing
        if timing.refused_input(attempt.phase, attempt.exit_code):
            return _refused(Path(node.log_path), attempt)
        delay = timing.delay(strategy, node.attempts, time.monotonic() - first_start)
        if delay is None or ctx.cancel.wait(delay):
            return attempt
        note = _retry_note(timing, strategy, node.attempts, delay)
        _append_log(Path(node.log_path), f"--- {attempt.message}; {note}\n")


def _refused(log_path: Path, attempt: Attempt) -> Attempt:
    """The last attempt of a node whose command refused its input (not retried in local mode)."""
    _append_log(log_path, f"--- {attempt.message}: the command refused its input; not retried locally "
                          "(--manifest-backoff retries it as the manifest says)\n")
    return dataclasses.replace(attempt, message=f"{attempt.message}: bad input, not retried")


def _attempt(ctx: RunContext, node: NodeResult, template: Template, command: Command) -> Attempt:
    """One run of the command, and its outputs when it succeeded."""
    log_path = Path(node.log_path)
    _append_log(log_path, f"=== attempt {node.attempts}: {' '.join(command.argv)}\n")
    command.outputs.reset()
    try:
        code = ctx.launcher.run(command.argv, command.env, log_path, ctx.cancel)
    except NodeError as error:
        _append_log(log_path, f"error: {error}\n")
        return Attempt("Error", None, str(error), {})
    if ctx.cancel.is_set():
        return Attempt("Error", code, "interrupted", {})
    if code != 0:
        return Attempt("Failed", code, f"exit code {code}", {})
    try:
        return Attempt("Succeeded", 0, "", read_outputs(template.outputs, command.outputs))
    except NodeError as error:
        _append_log(log_path, f"error: {error}\n")
        return Attempt("Error", 0, str(error), {})


def _resolve(ctx: RunContext, template: Template, scope: Mapping[str, str], node_dir: Path) -> Command:
    """Substitute references, map output folders and write a script's source to a file."""
    process = template.process
    if process is None:
        raise NodeError(f"template {template.name!r} has no command")
    outputs = map_outputs(template.outputs, node_dir)
    kind = template.kind

    def resolve(text: str, field: str) -> str:
        return outputs.rewrite(substitute(text, scope, f"{template.name}.{kind}.{field}"))

    command = [resolve(part, "command") for part in process.command]
    if process.source is not None:
        node_dir.mkdir(parents=True, exist_ok=True)
        script = node_dir / "script"
        script.write_text(resolve(process.source, "source"), encoding="utf-8")
        command.append(str(script))
    argv = command + [resolve(part, "args") for part in process.args]
    env = {**ctx.base_env, **{name: resolve(value, f"env.{name}") for name, value in process.env}}
    return Command(argv, env, outputs)


def _retry_limit(
    ctx: RunContext, template: Template, scope: Mapping[str, str]
) -> tuple[int, RetryStrategy | None]:
    """Number of retries allowed (the template's strategy, else the workflow's)."""
    strategy = template.retry or ctx.spec.retry
    if strategy is None:
        return 0, None
    text = substitute(strategy.limit, scope, f"{template.name}.retryStrategy.limit")
    try:
        limit = int(text)
    except ValueError as error:
        raise NodeError(f"{template.name}.retryStrategy.limit: {text!r} is not a whole number") from error
    return max(limit, 0), strategy


def _retry_note(timing: RetryTiming, strategy: RetryStrategy | None, failures: int, delay: float) -> str:
    """The log's "retrying in ..." note; a shortened local delay also names the manifest's."""
    note = f"retrying in {delay:g}s"
    backoff = strategy.backoff if strategy else None
    if timing.mode is BackoffMode.LOCAL and backoff is not None:
        wanted = manifest_delay(backoff, failures)
        if wanted > delay:
            note += f" (local backoff; the manifest waits {wanted:g}s: --manifest-backoff)"
    return note


def _append_log(path: Path, text: str) -> None:
    """Add an executor line to a node's log (the process writes to the same file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(text)
