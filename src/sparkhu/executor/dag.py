"""Scheduling the tasks of a dag template: dependencies, loops, bounded parallelism, fail-fast.

One supervising loop per dag (in the caller's thread) starts each node in a thread of its own; the
work itself runs in processes. A process node holds a slot of the run's limiter while it runs;
nested dag nodes hold none (their own nodes do), so nested dags cannot deadlock the run.

Failure follows Argo: a task whose ``depends`` is false is *Omitted* and inherits the phase of the
branch it is on, so the dag fails when one of its leaf (target) tasks ends on a failed branch. A
failure that a later task handles (``depends: "a.Failed"``) therefore does not fail the dag.
"""

from __future__ import annotations

import contextlib
import functools
import json
import queue
from collections import deque
from dataclasses import dataclass, field

from sparkhu.executor import depends, loops
from sparkhu.executor.context import RunContext, bind_inputs, template_scope
from sparkhu.executor.depends import TaskState
from sparkhu.executor.errors import NodeError
from sparkhu.executor.node import run_process_node
from sparkhu.executor.results import NodeResult
from sparkhu.executor.spec import Task, Template
from sparkhu.executor.templating import substitute

WAIT_S = 0.1
_FAILED = ("Failed", "Error")


@dataclass(frozen=True)
class DagOutcome:
    """Phase, output parameters and message of a finished dag."""

    phase: str
    outputs: dict[str, str]
    message: str


@dataclass
class _Group:
    """The nodes of one task: one node, or one per loop expansion."""

    task: Task
    nodes: list[NodeResult]
    looped: bool
    done: int = 0


@dataclass(frozen=True)
class _Launch:
    """A node waiting for a slot: what to run and with which inputs."""

    task: str
    node: NodeResult
    template: Template
    inputs: dict[str, str]


@dataclass
class DagRunner:
    """Runs one dag template called with ``inputs``; node names start with ``prefix``."""

    ctx: RunContext
    template: Template
    inputs: dict[str, str]
    prefix: str = ""
    states: dict[str, TaskState] = field(default_factory=dict)
    _groups: dict[str, _Group] = field(default_factory=dict)
    _pending: deque[_Launch] = field(default_factory=deque)
    _events: queue.Queue[str] = field(default_factory=queue.Queue)
    _running: int = 0
    _stopping: str = ""

    def __post_init__(self) -> None:
        dag = self.template.dag
        if dag is None:
            raise NodeError(f"template {self.template.name!r} is not a dag")
        self.tasks = {task.name: task for task in _selected(dag.tasks, dag.target)}
        self.expressions = {name: task.expression for name, task in self.tasks.items()}
        self.parents = {name: depends.tasks_of(expr) for name, expr in self.expressions.items()}
        self.leaves = list(dag.target) or [name for name in self.tasks
                                           if not any(name in p for p in self.parents.values())]
        self.fail_fast = dag.fail_fast

    def run(self) -> DagOutcome:
        """Run every task to a final state and assess the dag."""
        while True:
            self._resolve_ready()
            self._launch_pending()
            # Checked after launching too: like Argo, tasks made ready by the same event still start.
            self._check_fail_fast()
            if not self._pending and self._running == 0 and len(self.states) == len(self.tasks):
                return self._outcome()
            with contextlib.suppress(queue.Empty):
                self._on_finished(self._events.get(timeout=WAIT_S))
            if self.ctx.cancel.is_set() and not self._stopping:
                self._stop("the run was interrupted")

    def _resolve_ready(self) -> None:
        """Start (or omit) every task whose dependencies have all finished, until nothing changes."""
        changed = True
        while changed:
            changed = False
            for name, task in self.tasks.items():
                if name in self._groups or not all(p in self.states for p in self.parents[name]):
                    continue
                self._start_task(task)
                changed = True

    def _start_task(self, task: Task) -> None:
        """Omit the task, or expand it into nodes waiting for a slot."""
        if self._stopping:
            self._settle(task, "Omitted", f"not started: {self._stopping}")
        elif not depends.evaluate(self.expressions[task.name], self.states.__getitem__):
            self._settle(task, "Omitted", f"depends condition not met: {task.depends}")
        else:
            try:
                launches = self._expand(task)
            except NodeError as error:
                self._settle(task, "Error", str(error))
                return
            if not launches:
                self._settle(task, "Skipped", "empty loop: no items")
                return
            self._groups[task.name] = _Group(task, [item.node for item in launches], task.loop is not None)
            self._pending.extend(launches)

    def _expand(self, task: Task) -> list[_Launch]:
        """The nodes of a task, with each node's input values."""
        called = self.ctx.spec.templates[task.template]
        scope = self._task_scope()
        if task.loop is None:
            expansions: list[tuple[str, dict[str, str]]] = [(task.name, scope)]
        else:
            items = loops.expand(task.loop, lambda text: substitute(text, scope, f"{task.name} loop"))
            expansions = [(loops.node_name(task.name, item), {**scope, **item.scope()}) for item in items]
        launches = []
        for display, item_scope in expansions:
            arguments = {name: substitute(value, item_scope, f"{task.name}.arguments.{name}")
                         for name, value in task.arguments}
            inputs = bind_inputs(called, arguments, self.ctx.workflow_scope)
            node = NodeResult(self.prefix + display, display, called.name)
            launches.append(_Launch(task.name, node, called, inputs))
        return launches

    def _launch_pending(self) -> None:
        """Start waiting nodes while the dag's and the run's parallelism allow."""
        limit = self.template.parallelism
        while self._pending and (limit is None or self._running < limit):
            launch = self._pending[0]
            if self._stopping:
                self._pending.popleft()
                self.ctx.finish(launch.node, "Omitted", f"not started: {self._stopping}")
                self._count_done(launch.task)
                continue
            is_process = launch.template.dag is None
            if is_process and not self.ctx.limiter.acquire(blocking=False):
                return
            self._pending.popleft()
            self._running += 1
            self.ctx.spawn(f"node {launch.node.name}", functools.partial(self._run_node, launch, is_process))

    def _run_node(self, launch: _Launch, holds_slot: bool) -> None:
        """Thread body: run one node, free its slot, report to the supervising loop."""
        try:
            if holds_slot:
                run_process_node(self.ctx, launch.node, launch.template, launch.inputs)
            else:
                self._run_nested(launch)
        except Exception as error:  # a bug must not hang the run: the node errors, the loop goes on
            self.ctx.finish(launch.node, "Error", f"executor error: {error!r}")
        finally:
            if holds_slot:
                self.ctx.limiter.release()
            self._events.put(launch.task)

    def _run_nested(self, launch: _Launch) -> None:
        """A node calling a dag template runs that dag, its nodes named ``<node>.<task>``."""
        self.ctx.start(launch.node)
        nested = DagRunner(self.ctx, launch.template, launch.inputs, prefix=f"{launch.node.name}.")
        outcome = nested.run()
        launch.node.outputs = outcome.outputs
        self.ctx.finish(launch.node, outcome.phase, outcome.message)

    def _on_finished(self, task_name: str) -> None:
        """A node of ``task_name`` ended."""
        self._running -= 1
        self._count_done(task_name)

    def _count_done(self, task_name: str) -> None:
        """Count a finished node; when its task is complete, settle the task's state."""
        group = self._groups[task_name]
        group.done += 1
        if group.done < len(group.nodes):
            return
        phases = tuple(node.status for node in group.nodes)
        self.states[task_name] = TaskState(_group_phase(phases), phases if group.looped else (),
                                           group.task.continue_on)
        self._check_fail_fast()

    def _settle(self, task: Task, phase: str, message: str) -> None:
        """Record a task that runs nothing (omitted, skipped, or errored before starting)."""
        node = NodeResult(self.prefix + task.name, task.name, task.template)
        self._groups[task.name] = _Group(task, [node], looped=False, done=1)
        self.ctx.finish(node, phase, message)
        self.states[task.name] = TaskState(phase, (), task.continue_on)

    def _check_fail_fast(self) -> None:
        """With failFast (Argo's default), start nothing new once a leaf is on a failed branch."""
        failed = self._failed_leaves()
        if self.fail_fast and failed and not self._stopping:
            self._stop(f"fail fast after {', '.join(failed)} failed")

    def _stop(self, reason: str) -> None:
        self._stopping = reason

    def _failed_leaves(self) -> list[str]:
        """Leaf tasks whose branch failed (and that do not continue on that failure)."""
        failed = []
        for name in self.leaves:
            if name not in self.states:
                continue
            phase = self._branch_phase(name)
            tolerated = {"Failed": "failed", "Error": "error"}.get(phase, "") in self.tasks[name].continue_on
            if phase in _FAILED and not tolerated:
                failed.append(name)
        return failed

    def _branch_phase(self, name: str) -> str:
        """A task's own phase; an omitted task inherits the worst phase of its finished parents."""
        state = self.states[name]
        if state.phase != "Omitted":
            return state.phase
        inherited = {self._branch_phase(parent) for parent in self.parents[name] if parent in self.states}
        return next((phase for phase in ("Error", "Failed") if phase in inherited), "Succeeded")

    def _task_scope(self) -> dict[str, str]:
        """References visible to task arguments and loops: inputs and outputs of finished tasks."""
        scope = template_scope(self.ctx.workflow_scope, self.inputs)
        for name, group in self._groups.items():
            if name in self.states:
                scope.update(_output_scope(name, group))
        return scope

    def _outcome(self) -> DagOutcome:
        """Phase of the finished dag and its output parameters."""
        failed = self._failed_leaves()
        if failed:
            phase = "Error" if any(self._branch_phase(n) == "Error" for n in failed) else "Failed"
            return DagOutcome(phase, {}, self._failure_message())
        try:
            return DagOutcome("Succeeded", self._outputs(), "")
        except NodeError as error:
            return DagOutcome("Error", {}, str(error))

    def _failure_message(self) -> str:
        """Which nodes failed, and why (the causes, not the omitted tasks after them)."""
        causes = [f"{node.name} ({node.message})" if node.message else node.name
                  for group in self._groups.values() for node in group.nodes if node.status in _FAILED]
        shown = ", ".join(causes[:5]) + (f" and {len(causes) - 5} more" if len(causes) > 5 else "")
        return f"failed: {shown}"

    def _outputs(self) -> dict[str, str]:
        """Output parameters of the dag (``valueFrom.parameter`` references to task outputs)."""
        scope = self._task_scope()
        return {output.name: substitute(output.parameter or "", scope, f"outputs.{output.name}")
                for output in self.template.outputs}


def _group_phase(phases: tuple[str, ...]) -> str:
    """Phase of a task from its nodes' phases: the worst one wins."""
    for phase in ("Error", "Failed", "Omitted"):
        if phase in phases:
            return phase
    return "Succeeded"


def _output_scope(task: str, group: _Group) -> dict[str, str]:
    """``tasks.<task>.outputs.parameters...`` values; a looped task gives JSON lists of all expansions."""
    if not group.looped:
        return {f"tasks.{task}.outputs.parameters.{k}": v for k, v in group.nodes[0].outputs.items()}
    per_node = [node.outputs for node in group.nodes]
    names = sorted({name for outputs in per_node for name in outputs})
    scope = {f"tasks.{task}.outputs.parameters": json.dumps(per_node)}
    scope.update({f"tasks.{task}.outputs.parameters.{name}": json.dumps([o.get(name) for o in per_node])
                  for name in names})
    return scope


def _selected(tasks: tuple[Task, ...], target: tuple[str, ...]) -> list[Task]:
    """All tasks, or only the targets and their ancestors."""
    if not target:
        return list(tasks)
    by_name = {task.name: task for task in tasks}
    wanted: set[str] = set()
    stack = list(target)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(depends.tasks_of(by_name[name].expression))
    return [task for task in tasks if task.name in wanted]

