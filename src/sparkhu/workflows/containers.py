"""One reusable Argo container template per task.

Every template runs the same command, ``sparkhu task run <name>``, in the task's own image, as a
non-root user on a read-only root filesystem (``/tmp`` is a per-pod ``emptyDir``), with resource
requests and limits and a retry strategy. Tasks replace their output slice on rerun, so retrying a
failed or evicted pod is always safe.
"""

from __future__ import annotations

from hera.workflows import ConfigMapEnvFrom, Container, Env, Parameter, Resources, RetryStrategy, SecretEnvFrom
from hera.workflows import models as m

from sparkhu.tasks.spec import TaskSpec
from sparkhu.workflows.images import DEFAULT_REGISTRY, task_image

OUTPUTS_DIR = "/tmp/outputs"
"""Where a task writes its output-parameter files; Argo reads them back with ``valueFrom.path``."""

RUN_AS_USER = 10001
"""UID of the ``sparkhu`` user baked into the base image (tasks/base/Dockerfile)."""

SCRATCH_VOLUME = "tmp"
"""Name of the workflow's ``emptyDir`` volume mounted at ``/tmp`` in every task container."""

SCRATCH_MOUNT = "/tmp"

CONFIG_MAP = "sparkhu-config"
"""ConfigMap whose keys (``SPARKHU_*``) become the task's environment; optional."""

SECRET = "sparkhu-secrets"
"""Secret with credentials (``SPARKHU_DATABASE_URL``, object-store keys); optional."""

DEFAULT_SHARD = "0/1"
"""Shard spec meaning "all series": what a template runs when no shard is passed."""

RETRY_LIMIT = 2


def argo_expression(path: str) -> str:
    """Return the Argo template expression for ``path``, e.g. ``{{inputs.parameters.start}}``."""
    return "{{" + path + "}}"


def _arg(name: str) -> str:
    """Return the Argo expression that reads the template input ``name``."""
    return argo_expression(f"inputs.parameters.{name}")


def task_command(spec: TaskSpec) -> list[str]:
    """Return the container command that runs ``spec``; the task Dockerfiles use it as ENTRYPOINT."""
    return ["sparkhu", "task", "run", spec.name]


def task_args(spec: TaskSpec) -> list[str]:
    """Return the container args: the interval, the shard, the task parameters and the outputs dir."""
    args = ["--start", _arg("start"), "--end", _arg("end"), "--shard", _arg("shard")]
    for param in spec.params:
        args += ["--param", f"{param.name}={_arg(param.input_name)}"]
    return [*args, "--outputs-dir", OUTPUTS_DIR]


def task_inputs(spec: TaskSpec) -> list[Parameter]:
    """Return the template inputs; an empty interval means "the previous full UTC day"."""
    inputs = [
        Parameter(name="start", default=""),
        Parameter(name="end", default=""),
        Parameter(name="shard", default=DEFAULT_SHARD),
    ]
    return inputs + [Parameter(name=param.input_name, default=param.default_text) for param in spec.params]


def task_outputs(spec: TaskSpec) -> list[Parameter]:
    """Return the output parameters, each read from its file in the outputs dir.

    The counts default to ``"0"`` so a task that had nothing to do still succeeds; the shard list has
    no default, because a plan that wrote none must fail rather than silently skip the pipeline.
    """
    return [
        Parameter(
            name=name,
            value_from=m.ValueFrom(path=f"{OUTPUTS_DIR}/{name}", default=None if name in spec.extra_outputs else "0"),
        )
        for name in spec.output_parameters
    ]


def security_context() -> m.SecurityContext:
    """Return the restricted container security context every task runs under."""
    return m.SecurityContext(
        run_as_non_root=True,
        run_as_user=RUN_AS_USER,
        run_as_group=RUN_AS_USER,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=m.Capabilities(drop=["ALL"]),
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


def retry_strategy() -> RetryStrategy:
    """Return the retry strategy: a few retries with exponential back-off, also after pod errors."""
    return RetryStrategy(
        limit=str(RETRY_LIMIT),
        retry_policy="Always",
        backoff=m.Backoff(duration="15s", factor="2", max_duration="10m"),
    )


def resources(spec: TaskSpec) -> Resources:
    """Return the container's resource requests and limits from the task's profile."""
    profile = spec.resources
    return Resources(
        cpu_request=profile.cpu_request,
        memory_request=profile.memory_request,
        cpu_limit=profile.cpu_limit,
        memory_limit=profile.memory_limit,
    )


def cpu_threads(cpu_limit: str) -> int:
    """Whole threads a Kubernetes CPU quantity allows (``"2"`` → 2, ``"500m"`` → 1, at least 1)."""
    cores = float(cpu_limit[:-1]) / 1000 if cpu_limit.endswith("m") else float(cpu_limit)
    return max(1, int(cores))


def task_template(spec: TaskSpec, registry: str = DEFAULT_REGISTRY) -> Container:
    """Return the reusable container template (``task-<name>``) that runs ``spec``.

    Args:
        spec: The task to run.
        registry: Optional image registry prefix, see :mod:`sparkhu.workflows.images`.

    """
    return Container(
        name=spec.template_name,
        image=task_image(spec.name, registry),
        command=task_command(spec),
        args=task_args(spec),
        inputs=task_inputs(spec),
        outputs=task_outputs(spec),
        # The run id lands in every report row, linking the lake's reports to `sparkhu runs` / Argo.
        # OMP_NUM_THREADS: native thread pools (BLAS, LightGBM) size to the container's CPU limit, not
        # to the node's cores, which a throttled container would oversubscribe.
        env=[Env(name="SPARKHU_RUN_ID", value="{{workflow.uid}}"),
             Env(name="OMP_NUM_THREADS", value=str(cpu_threads(spec.resources.cpu_limit)))],
        env_from=[
            ConfigMapEnvFrom(name=CONFIG_MAP, optional=True),
            SecretEnvFrom(name=SECRET, optional=True),
        ],
        volume_mounts=[m.VolumeMount(name=SCRATCH_VOLUME, mount_path=SCRATCH_MOUNT)],
        security_context=security_context(),
        resources=resources(spec),
        retry_strategy=retry_strategy(),
        labels={"app.kubernetes.io/name": "sparkhu", "app.kubernetes.io/component": spec.template_name},
    )
