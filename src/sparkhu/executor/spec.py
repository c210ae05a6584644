"""The part of an Argo Workflow/WorkflowTemplate the local executor runs, parsed from YAML or a dict.

Parsing also checks every field against :mod:`sparkhu.executor.features`; all refused fields are
reported together in one :class:`UnsupportedFeatureError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sparkhu.executor import features
from sparkhu.executor.depends import Expr, from_dependencies, parse_depends
from sparkhu.executor.errors import UnsupportedFeatureError, WorkflowSpecError
from sparkhu.executor.templating import render_value

RUNNABLE_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate")


@dataclass(frozen=True)
class Parameter:
    """An input parameter (of the workflow or of a template). ``value`` wins over ``default``."""

    name: str
    value: str | None = None
    default: str | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputParameter:
    """An output parameter: read from a file (``path``) or, for dag templates, from a task (``parameter``)."""

    name: str
    path: str | None = None
    parameter: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Backoff:
    """Wait ``duration * factor**(n-1)`` s before retry ``n``, at most ``cap``, within ``max_duration``."""

    duration_s: float
    factor: float = 1.0
    max_duration_s: float | None = None
    cap_s: float | None = None


@dataclass(frozen=True)
class RetryStrategy:
    """``limit`` retries (a number or a ``{{...}}`` reference) on the failures named by ``policy``."""

    limit: str
    policy: str = "OnFailure"
    backoff: Backoff | None = None


@dataclass(frozen=True)
class Process:
    """The command of a container (or script) template."""

    command: tuple[str, ...]
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Loop:
    """One of ``withItems`` (items), ``withParam`` (param) or ``withSequence`` (sequence)."""

    items: tuple[Any, ...] | None = None
    param: str | None = None
    sequence: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Task:
    """A DAG task; ``depends`` holds the expression (``dependencies`` are converted to it)."""

    name: str
    template: str
    arguments: tuple[tuple[str, str], ...] = ()
    depends: str = ""
    loop: Loop | None = None
    continue_on: frozenset[str] = frozenset()

    @property
    def expression(self) -> Expr | None:
        """The parsed ``depends`` expression."""
        return parse_depends(self.depends)


@dataclass(frozen=True)
class Dag:
    """Tasks of a dag template; ``target`` restricts the run to some tasks and their ancestors."""

    tasks: tuple[Task, ...]
    fail_fast: bool = True
    target: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A dag, container or script template."""

    name: str
    inputs: tuple[Parameter, ...] = ()
    outputs: tuple[OutputParameter, ...] = ()
    dag: Dag | None = None
    process: Process | None = None
    retry: RetryStrategy | None = None
    parallelism: int | None = None

    @property
    def kind(self) -> str:
        """``dag``, ``container`` or ``script``."""
        if self.dag is not None:
            return "dag"
        return "script" if self.process is not None and self.process.source is not None else "container"


@dataclass(frozen=True)
class WorkflowSpec:
    """A runnable workflow: its name, entrypoint, declared parameters and templates."""

    name: str
    entrypoint: str
    parameters: tuple[Parameter, ...]
    templates: Mapping[str, Template]
    parallelism: int | None = None
    retry: RetryStrategy | None = None


def load(source: Path | str | Mapping[str, Any]) -> WorkflowSpec:
    """Read a workflow from a YAML file (path) or an already-loaded document (mapping).

    Raises:
        WorkflowSpecError: The file is unreadable or not a runnable workflow.
        UnsupportedFeatureError: It uses Argo features the local executor does not implement.

    """
    document = source if isinstance(source, Mapping) else _read_document(Path(source))
    return parse(document)


def parse(document: Mapping[str, Any]) -> WorkflowSpec:
    """Parse one Workflow/WorkflowTemplate document (see :func:`load`)."""
    kind = document.get("kind", "WorkflowTemplate")
    if kind not in RUNNABLE_KINDS:
        raise WorkflowSpecError(f"kind {kind!r} cannot be run; expected one of {', '.join(RUNNABLE_KINDS)}")
    metadata = _mapping(document.get("metadata") or {}, "metadata")
    name = str(metadata.get("name") or metadata.get("generateName") or "workflow").rstrip("-")
    spec = _mapping(document.get("spec"), "spec")
    problems: list[str] = []
    features.check_keys(spec, "spec", features.SPEC, problems)
    _check_volumes(spec.get("volumes"), "spec.volumes", problems)
    parsed = WorkflowSpec(
        name=name,
        entrypoint=str(spec.get("entrypoint") or ""),
        parameters=_arguments(spec.get("arguments"), "spec.arguments", problems),
        templates=_templates(spec.get("templates"), problems),
        parallelism=_optional_int(spec.get("parallelism"), "spec.parallelism"),
        retry=_retry(spec.get("retryStrategy"), "spec.retryStrategy", problems),
    )
    if problems:
        raise UnsupportedFeatureError(problems)
    return parsed


def _read_document(path: Path) -> Mapping[str, Any]:
    """The one runnable document of a (possibly multi-document) YAML file."""
    try:
        documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    except OSError as error:
        raise WorkflowSpecError(f"cannot read {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise WorkflowSpecError(f"{path} is not valid YAML: {error}") from error
    runnable = [doc for doc in documents if isinstance(doc, Mapping) and doc.get("kind") in RUNNABLE_KINDS]
    if len(runnable) != 1:
        kinds = ", ".join(str(doc.get("kind")) for doc in documents if isinstance(doc, Mapping)) or "none"
        raise WorkflowSpecError(
            f"{path} must hold exactly one of {', '.join(RUNNABLE_KINDS)} (found kinds: {kinds})"
        )
    return runnable[0]


def _templates(raw: Any, problems: list[str]) -> dict[str, Template]:
    """Templates by name."""
    templates: dict[str, Template] = {}
    for index, item in enumerate(_sequence(raw, "spec.templates")):
        entry = _mapping(item, f"spec.templates[{index}]")
        name = str(entry.get("name") or "")
        if not name:
            raise WorkflowSpecError(f"spec.templates[{index}] has no name")
        if name in templates:
            raise WorkflowSpecError(f"spec.templates: template {name!r} is defined twice")
        templates[name] = _template(entry, f"spec.templates[{name}]", problems)
    return templates


def _template(raw: Mapping[str, Any], where: str, problems: list[str]) -> Template:
    """One template; refused template kinds (steps, resource...) are reported as problems."""
    features.check_keys(raw, where, features.TEMPLATE, problems)
    _check_volumes(raw.get("volumes"), f"{where}.volumes", problems)
    kinds = [key for key in ("dag", "container", "script") if key in raw]
    if len(kinds) > 1:
        raise WorkflowSpecError(f"{where}: a template has one kind, found {' and '.join(kinds)}")
    if not kinds and not any(key in raw for key in features.HINTS):
        raise WorkflowSpecError(f"{where}: no dag, container or script")
    retry = _retry(raw.get("retryStrategy"), f"{where}.retryStrategy", problems)
    if retry is not None and "dag" in raw:
        problems.append(f"{where}.retryStrategy: retrying a whole dag template is not supported")
    return Template(
        name=str(raw["name"]),
        inputs=_parameters(_section(raw, "inputs", where, features.INPUTS, problems), f"{where}.inputs",
                           problems),
        outputs=_outputs(_section(raw, "outputs", where, features.OUTPUTS, problems), f"{where}.outputs",
                         problems),
        dag=_dag(raw["dag"], f"{where}.dag", problems) if "dag" in raw else None,
        process=_process(raw, kinds[0], where, problems) if kinds and kinds[0] != "dag" else None,
        retry=retry,
        parallelism=_optional_int(raw.get("parallelism"), f"{where}.parallelism"),
    )


def _section(
    raw: Mapping[str, Any], key: str, where: str, allowed: tuple[frozenset[str], frozenset[str]],
    problems: list[str],
) -> list[Any]:
    """The ``parameters`` list of ``raw[key]`` (inputs/outputs/arguments), after checking its keys."""
    section = _mapping(raw.get(key) or {}, f"{where}.{key}")
    features.check_keys(section, f"{where}.{key}", allowed, problems)
    return _sequence(section.get("parameters") or [], f"{where}.{key}.parameters")


def _arguments(raw: Any, where: str, problems: list[str]) -> tuple[Parameter, ...]:
    """Workflow-level ``arguments.parameters``."""
    section = _mapping(raw or {}, where)
    features.check_keys(section, where, features.ARGUMENTS, problems)
    return _parameters(_sequence(section.get("parameters") or [], f"{where}.parameters"), where, problems)


def _parameters(raw: list[Any], where: str, problems: list[str]) -> tuple[Parameter, ...]:
    """Input parameters."""
    parsed = []
    for index, item in enumerate(raw):
        entry = _mapping(item, f"{where}.parameters[{index}]")
        name = _name(entry, f"{where}.parameters[{index}]")
        features.check_keys(entry, f"{where}.parameters[{name}]", features.PARAMETER, problems)
        parsed.append(Parameter(
            name=name,
            value=_optional_str(entry.get("value")),
            default=_optional_str(entry.get("default")),
            enum=tuple(render_value(v) for v in _sequence(entry.get("enum") or [], f"{where}.{name}.enum")),
        ))
    return tuple(parsed)


def _outputs(raw: list[Any], where: str, problems: list[str]) -> tuple[OutputParameter, ...]:
    """Output parameters (``valueFrom.path`` or ``valueFrom.parameter``)."""
    parsed = []
    for index, item in enumerate(raw):
        entry = _mapping(item, f"{where}.parameters[{index}]")
        name = _name(entry, f"{where}.parameters[{index}]")
        place = f"{where}.parameters[{name}]"
        features.check_keys(entry, place, features.OUTPUT_PARAMETER, problems)
        value_from = _mapping(entry.get("valueFrom") or {}, f"{place}.valueFrom")
        features.check_keys(value_from, f"{place}.valueFrom", features.VALUE_FROM, problems)
        output = OutputParameter(name, _optional_str(value_from.get("path")),
                                 _optional_str(value_from.get("parameter")),
                                 _optional_str(value_from.get("default")))
        if output.path is None and output.parameter is None:
            problems.append(f"{place}.valueFrom: needs 'path' (or 'parameter' in a dag template)")
        parsed.append(output)
    return tuple(parsed)


def _dag(raw: Any, where: str, problems: list[str]) -> Dag:
    """A dag template's body."""
    body = _mapping(raw, where)
    features.check_keys(body, where, features.DAG, problems)
    tasks = [_task(_mapping(item, f"{where}.tasks[{i}]"), where, problems)
             for i, item in enumerate(_sequence(body.get("tasks"), f"{where}.tasks"))]
    target = body.get("target") or ""
    names = str(target).split() if isinstance(target, str) else [str(t) for t in target]
    return Dag(tuple(tasks), bool(body.get("failFast", True)), tuple(names))


def _task(raw: Mapping[str, Any], where: str, problems: list[str]) -> Task:
    """One DAG task."""
    name = _name(raw, f"{where}.tasks")
    place = f"{where}.tasks[{name}]"
    features.check_keys(raw, place, features.TASK, problems)
    if raw.get("dependencies") and raw.get("depends"):
        raise WorkflowSpecError(f"{place}: use either 'dependencies' or 'depends', not both")
    expression = str(raw.get("depends") or "") or from_dependencies(
        str(d) for d in _sequence(raw.get("dependencies") or [], f"{place}.dependencies"))
    try:
        parse_depends(expression)  # syntax errors surface now, not when the task is reached
    except WorkflowSpecError as error:
        raise WorkflowSpecError(f"{place}: {error}") from error
    if "template" not in raw:
        raise WorkflowSpecError(f"{place}: no template")
    return Task(name, str(raw["template"]), _task_arguments(raw, place, problems), expression,
                _loop(raw, place, problems), _continue_on(raw.get("continueOn"), place, problems))


def _task_arguments(raw: Mapping[str, Any], where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """``arguments.parameters`` of a task as (name, value) pairs."""
    pairs = []
    for index, item in enumerate(_section(raw, "arguments", where, features.ARGUMENTS, problems)):
        entry = _mapping(item, f"{where}.arguments.parameters[{index}]")
        name = _name(entry, f"{where}.arguments.parameters[{index}]")
        features.check_keys(entry, f"{where}.arguments.parameters[{name}]", features.PARAMETER, problems)
        value = entry.get("value", entry.get("default"))
        if value is None:
            raise WorkflowSpecError(f"{where}.arguments.parameters[{name}]: no value")
        pairs.append((name, render_value(value)))
    return tuple(pairs)


def _loop(raw: Mapping[str, Any], where: str, problems: list[str]) -> Loop | None:
    """The task's loop, if any (only one of the three kinds)."""
    kinds = [key for key in ("withItems", "withParam", "withSequence") if key in raw]
    if len(kinds) > 1:
        raise WorkflowSpecError(f"{where}: use one of withItems, withParam, withSequence")
    if not kinds:
        return None
    if kinds[0] == "withItems":
        return Loop(items=tuple(_sequence(raw["withItems"], f"{where}.withItems")))
    if kinds[0] == "withParam":
        return Loop(param=render_value(raw["withParam"]))
    sequence = _mapping(raw["withSequence"], f"{where}.withSequence")
    features.check_keys(sequence, f"{where}.withSequence", features.SEQUENCE, problems)
    return Loop(sequence=tuple((str(k), render_value(v)) for k, v in sequence.items()))


def _continue_on(raw: Any, where: str, problems: list[str]) -> frozenset[str]:
    """``continueOn`` as the set of tolerated phases (``failed``, ``error``)."""
    section = _mapping(raw or {}, f"{where}.continueOn")
    features.check_keys(section, f"{where}.continueOn", features.CONTINUE_ON, problems)
    return frozenset(key for key, enabled in section.items() if enabled)


def _process(raw: Mapping[str, Any], kind: str, where: str, problems: list[str]) -> Process:
    """The command of a container or script template."""
    body = _mapping(raw[kind], f"{where}.{kind}")
    features.check_keys(body, f"{where}.{kind}", features.SCRIPT if kind == "script" else features.CONTAINER,
                        problems)
    features.check_env_from(_sequence(body.get("envFrom") or [], f"{where}.{kind}.envFrom"),
                            f"{where}.{kind}.envFrom", problems)
    command = tuple(render_value(c) for c in _sequence(body.get("command") or [], f"{where}.{kind}.command"))
    args = tuple(render_value(a) for a in _sequence(body.get("args") or [], f"{where}.{kind}.args"))
    if not command and not args:
        raise WorkflowSpecError(f"{where}.{kind}: no command (the image's entrypoint is unknown locally)")
    source = body.get("source") if kind == "script" else None
    if kind == "script" and not isinstance(source, str):
        raise WorkflowSpecError(f"{where}.script: no source")
    return Process(command, args, _env(body.get("env"), f"{where}.{kind}.env", problems), source)


def _env(raw: Any, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """Container environment variables with literal values."""
    pairs = []
    for index, item in enumerate(_sequence(raw or [], where)):
        entry = _mapping(item, f"{where}[{index}]")
        name = _name(entry, f"{where}[{index}]")
        features.check_keys(entry, f"{where}[{name}]", features.ENV_VAR, problems)
        pairs.append((name, render_value(entry.get("value", ""))))
    return tuple(pairs)


def _retry(raw: Any, where: str, problems: list[str]) -> RetryStrategy | None:
    """A retry strategy; a missing ``limit`` means Argo's "retry forever", which is refused locally."""
    if raw is None:
        return None
    body = _mapping(raw, where)
    features.check_keys(body, where, features.RETRY, problems)
    if "limit" not in body:
        problems.append(f"{where}: a retryStrategy without 'limit' (unbounded retries) is not supported")
        return None
    policy = str(body.get("retryPolicy") or "OnFailure")
    if policy not in {"Always", "OnFailure", "OnError", "OnTransientError"}:
        raise WorkflowSpecError(f"{where}.retryPolicy: unknown policy {policy!r}")
    return RetryStrategy(render_value(body["limit"]), policy, _backoff(body.get("backoff"), where, problems))


def _backoff(raw: Any, where: str, problems: list[str]) -> Backoff | None:
    """Backoff between retries (durations like ``10``, ``30s``, ``2m``, ``1h``)."""
    if raw is None:
        return None
    body = _mapping(raw, f"{where}.backoff")
    features.check_keys(body, f"{where}.backoff", features.BACKOFF, problems)
    return Backoff(
        duration_s=parse_duration(body.get("duration", "1"), f"{where}.backoff.duration"),
        factor=float(body.get("factor", 1)),
        max_duration_s=_optional_duration(body.get("maxDuration"), f"{where}.backoff.maxDuration"),
        cap_s=_optional_duration(body.get("cap"), f"{where}.backoff.cap"),
    )


def parse_duration(raw: Any, where: str) -> float:
    """Seconds in an Argo/Go duration: ``5``, ``500ms``, ``30s``, ``2m``, ``1h30m``."""
    text = str(raw).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise WorkflowSpecError(f"{where}: cannot read duration {text!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * scale[unit] for number, unit in parts)


def _optional_duration(raw: Any, where: str) -> float | None:
    return None if raw is None else parse_duration(raw, where)


def _check_volumes(raw: Any, where: str, problems: list[str]) -> None:
    """Only ``emptyDir`` volumes (pod-local scratch space) are harmless locally."""
    for index, item in enumerate(_sequence(raw or [], where)):
        entry = _mapping(item, f"{where}[{index}]")
        features.check_keys(entry, f"{where}[{entry.get('name', index)}]", features.VOLUME, problems)


def _name(entry: Mapping[str, Any], where: str) -> str:
    name = entry.get("name")
    if not name:
        raise WorkflowSpecError(f"{where}: no name")
    return str(name)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WorkflowSpecError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _sequence(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise WorkflowSpecError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else render_value(value)


def _optional_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise WorkflowSpecError(f"{where}: expected a whole number, got {value!r}") from error
    if number < 1:
        raise WorkflowSpecError(f"{where}: must be at least 1, got {number}")
    return number
