"""Which Argo fields the local executor runs, which it ignores, and which it refuses.

Every mapping of the spec is checked against an allow-list: a field is either *supported*, or
*ignored* because it only matters to Kubernetes (images, security contexts, resources, scheduling,
garbage collection...), or refused with its name and location. Refusing up front beats a run that
silently does something else than Argo would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Allowed = tuple[frozenset[str], frozenset[str]]
_NONE: frozenset[str] = frozenset()

# Kubernetes-only settings: they change where and how a pod runs, never what the command computes.
_POD_FIELDS = frozenset({
    "securityContext", "nodeSelector", "tolerations", "affinity", "serviceAccountName",
    "automountServiceAccountToken", "priorityClassName", "priority", "schedulerName", "hostAliases",
    "podSpecPatch", "imagePullSecrets", "dnsPolicy", "dnsConfig", "hostNetwork", "metrics", "executor",
    "archiveLocation", "activeDeadlineSeconds", "timeout", "metadata",
})

SPEC: Allowed = (
    frozenset({"entrypoint", "arguments", "templates", "parallelism", "retryStrategy", "volumes"}),
    _POD_FIELDS | {"podGC", "ttlStrategy", "podMetadata", "workflowMetadata", "archiveLogs",
                   "artifactRepositoryRef", "artifactGC", "volumeClaimGC", "podDisruptionBudget",
                   "podPriorityClassName", "securityContext"},
)
ARGUMENTS: Allowed = (frozenset({"parameters"}), _NONE)
TEMPLATE: Allowed = (
    frozenset({"name", "inputs", "outputs", "dag", "container", "script", "retryStrategy", "parallelism",
               "volumes"}),
    _POD_FIELDS,
)
INPUTS: Allowed = (frozenset({"parameters"}), _NONE)
OUTPUTS: Allowed = (frozenset({"parameters"}), _NONE)
PARAMETER: Allowed = (frozenset({"name", "value", "default", "enum"}), frozenset({"description"}))
OUTPUT_PARAMETER: Allowed = (frozenset({"name", "valueFrom"}), frozenset({"description"}))
VALUE_FROM: Allowed = (frozenset({"path", "parameter", "default"}), _NONE)
CONTAINER: Allowed = (
    frozenset({"command", "args", "env", "envFrom"}),
    frozenset({"name", "image", "imagePullPolicy", "resources", "securityContext", "volumeMounts", "ports",
               "livenessProbe", "readinessProbe", "startupProbe", "terminationMessagePath",
               "terminationMessagePolicy", "workingDir", "lifecycle", "stdin", "stdinOnce", "tty"}),
)
SCRIPT: Allowed = (CONTAINER[0] | {"source"}, CONTAINER[1])
ENV_VAR: Allowed = (frozenset({"name", "value"}), _NONE)
DAG: Allowed = (frozenset({"tasks", "failFast", "target"}), _NONE)
TASK: Allowed = (
    frozenset({"name", "template", "arguments", "dependencies", "depends", "withItems", "withParam",
               "withSequence", "continueOn"}),
    frozenset({"description"}),
)
SEQUENCE: Allowed = (frozenset({"count", "start", "end", "format"}), _NONE)
CONTINUE_ON: Allowed = (frozenset({"failed", "error"}), _NONE)
RETRY: Allowed = (frozenset({"limit", "retryPolicy", "backoff"}), frozenset({"affinity"}))
BACKOFF: Allowed = (frozenset({"duration", "factor", "maxDuration", "cap"}), _NONE)
VOLUME: Allowed = (frozenset({"name", "emptyDir"}), _NONE)

# Why a refused field is refused, where a short hint helps the user more than the bare name.
HINTS = {
    "steps": "write the template as a dag",
    "resource": "Kubernetes resource templates need a cluster",
    "suspend": "nothing can resume a local run",
    "http": "HTTP templates are not run locally",
    "plugin": "executor plugins need a cluster",
    "containerSet": "use one container per task",
    "data": "data templates are not run locally",
    "when": "conditional tasks are not evaluated locally; use depends",
    "onExit": "exit handlers are not run locally",
    "hooks": "lifecycle hooks are not run locally",
    "synchronization": "mutexes and semaphores are not enforced locally",
    "memoize": "memoization needs a cluster cache",
    "artifacts": "artifacts need an artifact repository; use output parameters",
    "templateRef": "inline the referenced template into this file",
    "workflowTemplateRef": "run the referenced WorkflowTemplate file itself",
    "inline": "define the template under spec.templates",
    "sidecars": "sidecar containers are not run locally",
    "initContainers": "init containers are not run locally",
    "daemon": "daemon templates are not run locally",
    "envFrom": "ConfigMaps and Secrets do not exist locally; mark the reference optional: true",
    "valueFrom": "only valueFrom.path (and parameter for dag outputs) is supported",
    "globalName": "global outputs are not collected locally",
    "expression": "expressions are not evaluated locally",
    "volumeClaimTemplates": "persistent volumes are not created locally",
    "templateDefaults": "set the fields on each template",
    "shutdown": "runs are stopped with Ctrl-C locally",
}


def check_env_from(entries: list[Any], where: str, problems: list[str]) -> None:
    """``envFrom`` sources are fine only when ``optional``: they do not exist locally, which that allows."""
    for index, entry in enumerate(entries):
        refs = [ref for key, ref in entry.items() if key.endswith("Ref")] if isinstance(entry, Mapping) else []
        if not refs or not all(isinstance(ref, Mapping) and ref.get("optional") is True for ref in refs):
            problems.append(f"{where}[{index}]: 'envFrom' is not supported ({HINTS['envFrom']})")


def check_keys(
    obj: Mapping[str, Any], where: str, allowed: Allowed, problems: list[str]
) -> None:
    """Append a problem for every key of ``obj`` that is neither supported nor ignored."""
    supported, ignored = allowed
    for key in obj:
        if key in supported or key in ignored:
            continue
        hint = HINTS.get(str(key))
        problems.append(f"{where}.{key}: '{key}' is not supported" + (f" ({hint})" if hint else ""))
