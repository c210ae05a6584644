"""Small WorkflowTemplate documents for the executor tests."""

from __future__ import annotations

import sys
from typing import Any

PY = sys.executable


def container(name: str, command: list[str], inputs: tuple[str, ...] = (),
              outputs: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A container template; ``outputs`` maps output names to ``valueFrom.path``."""
    template: dict[str, Any] = {"name": name, "container": {"image": "python:3.11", "command": command}}
    if inputs:
        template["inputs"] = {"parameters": [{"name": n} for n in inputs]}
    if outputs:
        declared = [{"name": k, "valueFrom": {"path": v}} for k, v in outputs.items()]
        template["outputs"] = {"parameters": declared}
    template.update(extra)
    return template


def shell(name: str, script: str, inputs: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A container template running ``sh -c script`` (inputs are passed as $1, $2...)."""
    args = [f"{{{{inputs.parameters.{n}}}}}" for n in inputs]
    return container(name, ["sh", "-c", script, "sh", *args], inputs, **extra)


def task(name: str, template: str, **fields: Any) -> dict[str, Any]:
    """A DAG task; ``args`` becomes ``arguments.parameters``."""
    entry: dict[str, Any] = {"name": name, "template": template}
    arguments = fields.pop("args", None)
    if arguments:
        entry["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in arguments.items()]}
    entry.update(fields)
    return entry


def workflow(tasks: list[dict[str, Any]], templates: list[dict[str, Any]],
             parameters: dict[str, str | None] | None = None, **spec: Any) -> dict[str, Any]:
    """A WorkflowTemplate whose entrypoint ``main`` is a dag of ``tasks``."""
    declared = [{"name": k} if v is None else {"name": k, "value": v} for k, v in (parameters or {}).items()]
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "test-flow"},
        "spec": {"entrypoint": "main", "arguments": {"parameters": declared},
                 "templates": [{"name": "main", "dag": {"tasks": tasks}}, *templates], **spec},
    }


def trace_line(label: str) -> str:
    """Shell that appends ``label`` to the file named by $TRACE."""
    return f'echo {label} >> "$TRACE"'


TIMED = (
    "import sys, time; start = time.time(); time.sleep(float(sys.argv[2])); "
    "open(sys.argv[3], 'a').write(f'{sys.argv[1]} {start} {time.time()}\\n')"
)


def timed(name: str = "timed") -> dict[str, Any]:
    """A template that sleeps ``seconds`` and appends "label start end" to ``file``."""
    return container(name, [PY, "-c", TIMED, "{{inputs.parameters.label}}", "{{inputs.parameters.seconds}}",
                            "{{inputs.parameters.file}}"], ("label", "seconds", "file"))


def max_overlap(lines: list[str]) -> int:
    """Most intervals ("label start end" lines) open at the same moment."""
    events = []
    for line in lines:
        _, start, end = line.split()
        events += [(float(start), 1), (float(end), -1)]
    current = best = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        current += delta
        best = max(best, current)
    return best
