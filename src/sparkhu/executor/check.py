"""Static checks of a parsed workflow, before anything runs.

Every ``{{...}}`` reference must name something that will exist where it is used, every task must
call a known template with all required inputs, and ``depends`` must form an acyclic graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sparkhu.executor import depends
from sparkhu.executor.errors import UnsupportedFeatureError, WorkflowSpecError
from sparkhu.executor.spec import Dag, Task, Template, WorkflowSpec
from sparkhu.executor.templating import references

WORKFLOW_VARIABLES = ("workflow.name", "workflow.uid")


def check(spec: WorkflowSpec) -> None:
    """Raise if ``spec`` cannot run as written.

    Raises:
        UnsupportedFeatureError: For ``{{=...}}`` expressions.
        WorkflowSpecError: For every other problem (all of them listed in one error).

    """
    problems: list[str] = []
    if spec.entrypoint not in spec.templates:
        problems.append(f"spec.entrypoint: no template named {spec.entrypoint!r}")
    workflow_scope = {f"workflow.parameters.{p.name}" for p in spec.parameters} | set(WORKFLOW_VARIABLES)
    for template in spec.templates.values():
        where = f"spec.templates[{template.name}]"
        inputs = workflow_scope | {f"inputs.parameters.{p.name}" for p in template.inputs}
        for parameter in template.inputs:
            _check_text(parameter.default or parameter.value or "", workflow_scope,
                        f"{where}.inputs.parameters[{parameter.name}]", problems)
        if template.dag is not None:
            _check_dag(spec, template, template.dag, inputs, problems)
        else:
            _check_process(template, inputs, where, problems)
    _check_recursion(spec, problems)
    expressions = [p for p in problems if "{{=" in p]
    if expressions:
        raise UnsupportedFeatureError(expressions)
    if problems:
        raise WorkflowSpecError(problems)


def _check_process(template: Template, scope: set[str], where: str, problems: list[str]) -> None:
    """References in the command, args, env, script source and retry limit."""
    process = template.process
    if process is None:
        return
    kind = template.kind
    texts = [(f"{where}.{kind}.command", text) for text in process.command]
    texts += [(f"{where}.{kind}.args", text) for text in process.args]
    texts += [(f"{where}.{kind}.env[{name}]", value) for name, value in process.env]
    texts += [(f"{where}.script.source", process.source or "")]
    texts += [(f"{where}.retryStrategy.limit", template.retry.limit if template.retry else "")]
    for place, text in texts:
        _check_text(text, scope, place, problems)


def _check_dag(
    spec: WorkflowSpec, template: Template, dag: Dag, scope: set[str], problems: list[str]
) -> None:
    """Tasks, their dependencies, arguments and loops, and the dag's outputs."""
    where = f"spec.templates[{template.name}].dag"
    tasks = {task.name: task for task in dag.tasks}
    if len(tasks) != len(dag.tasks):
        problems.append(f"{where}.tasks: task names must be unique")
    problems.extend(f"{where}.target: no task named {name!r}" for name in dag.target if name not in tasks)
    ancestors = _ancestors(tasks, where, problems)
    for task in dag.tasks:
        task_scope = scope | _task_outputs(spec, tasks, ancestors.get(task.name, set()))
        if task.loop is not None:
            task_scope |= {"item"}
        _check_task(spec, task, task_scope, f"{where}.tasks[{task.name}]", problems)
    every_output = _task_outputs(spec, tasks, set(tasks))
    for output in template.outputs:
        place = f"spec.templates[{template.name}].outputs.parameters[{output.name}]"
        if output.parameter is None:
            problems.append(f"{place}: a dag template's outputs need valueFrom.parameter")
        _check_text(output.parameter or "", scope | every_output, place, problems)


def _check_task(spec: WorkflowSpec, task: Task, scope: set[str], where: str, problems: list[str]) -> None:
    """The called template exists and gets its required inputs; references resolve."""
    called = spec.templates.get(task.template)
    if called is None:
        problems.append(f"{where}.template: no template named {task.template!r}")
    else:
        given = {name for name, _ in task.arguments}
        missing = [p.name for p in called.inputs
                   if p.value is None and p.default is None and p.name not in given]
        problems.extend(f"{where}.arguments: input {name!r} of template {called.name!r} has no value"
                        for name in missing)
    for name, value in task.arguments:
        _check_text(value, scope, f"{where}.arguments.parameters[{name}]", problems)
    if task.loop is not None:
        loop_texts = [task.loop.param or ""] + [value for _, value in task.loop.sequence or ()]
        for text in loop_texts:
            _check_text(text, scope - {"item"}, f"{where} loop", problems)


def _check_text(text: str, scope: set[str], where: str, problems: list[str]) -> None:
    """Every reference in ``text`` is in ``scope`` (``item.key`` is fine wherever ``item`` is)."""
    for name in references(text):
        if name.startswith("="):
            problems.append(f"{where}: expression '{{{{{name}}}}}' is not supported (expr templates)")
        elif name not in scope and not (name.startswith("item.") and "item" in scope):
            problems.append(f"{where}: unknown reference '{{{{{name}}}}}'" + _hint(name, scope))


def _hint(name: str, scope: Iterable[str]) -> str:
    """A short list of what could have been meant."""
    prefix = name.rsplit(".", 1)[0]
    close = sorted(s for s in scope if s.startswith(prefix))[:5]
    return f" (known: {', '.join(close)})" if close else ""


def _task_outputs(spec: WorkflowSpec, tasks: Mapping[str, Task], names: Iterable[str]) -> set[str]:
    """Output references that tasks ``names`` provide to later tasks."""
    provided: set[str] = set()
    for name in names:
        task, template = tasks[name], spec.templates.get(tasks[name].template)
        if template is None:
            continue
        provided |= {f"tasks.{name}.outputs.parameters.{p.name}" for p in template.outputs}
        if task.loop is not None:
            provided.add(f"tasks.{name}.outputs.parameters")
    return provided


def _ancestors(tasks: Mapping[str, Task], where: str, problems: list[str]) -> dict[str, set[str]]:
    """Transitive dependencies of each task; unknown names and cycles are problems."""
    parents: dict[str, set[str]] = {}
    for task in tasks.values():
        named = depends.tasks_of(task.expression)
        unknown = sorted(named - set(tasks))
        problems.extend(f"{where}.tasks[{task.name}].depends: no task named {n!r}" for n in unknown)
        parents[task.name] = named & set(tasks)
    result: dict[str, set[str]] = {}
    for name in tasks:
        seen: set[str] = set()
        stack = list(parents[name])
        while stack:
            current = stack.pop()
            if current == name:
                problems.append(f"{where}.tasks[{name}]: dependency cycle")
                break
            if current not in seen:
                seen.add(current)
                stack.extend(parents[current])
        result[name] = seen
    return result


def _check_recursion(spec: WorkflowSpec, problems: list[str]) -> None:
    """A dag template must not call itself, directly or through other dag templates."""
    for template in spec.templates.values():
        stack, seen = [template.name], set()
        while stack:
            current = spec.templates.get(stack.pop())
            if current is None or current.dag is None:
                continue
            for task in current.dag.tasks:
                if task.template == template.name:
                    problems.append(f"spec.templates[{template.name}]: calls itself (recursive templates)")
                    stack = []
                    break
                if task.template not in seen:
                    seen.add(task.template)
                    stack.append(task.template)
