"""Which tasks the workflows run, the parameters each one takes, and the resources it asks for.

This is the workflow layer's view of the task CLI contract: ``sparkhu task run NAME --start ISO --end
ISO --shard K/N --param key=value ... --outputs-dir DIR``. Each task parameter is fed by one workflow
parameter, so an operator tunes a run from ``argo submit -p`` (or ``sparkhu workflow run -p``) without
editing templates.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTPUTS_DIR = "/tmp/outputs"
"""Where a task writes its output-parameter files; Argo reads them back with ``valueFrom.path``."""

COUNT_OUTPUTS = ("rows_in", "rows_out", "n_series")
"""Output parameters every task writes (integers as text)."""

SHARDS_OUTPUT = "shards"
"""Extra output of the ``plan`` task: a JSON list of shard specs, e.g. ``["0/2", "1/2"]``."""

MISSING_FANOUT = "missing_fanout"
"""Plan output: JSON list of ``{"variant", "shard"}`` maps, one ``handle-missing`` node per pair."""

ANOMALY_FANOUT = "anomaly_fanout"
"""Plan output: JSON list of ``{"variant", "shard"}`` maps, one ``handle-anomalies`` node per pair."""

MISSING_VARIANTS = "locf,nocb,linear,spline,seasonal,mean,median,leave"
ANOMALY_VARIANTS = "keep,replace_expected,ema,clip"


@dataclass(frozen=True)
class TaskParam:
    """One ``--param key=value`` of a task and the workflow parameter that feeds it.

    Attributes:
        key: The parameter's name on the task CLI (``--param key=value``).
        default: Default value, as text.
        workflow_parameter: Name of the workflow parameter that supplies the value, or None when the
            value comes from the node's loop item (``{{item.<key>}}``, e.g. a variant of a fan-out).

    """

    key: str
    default: str
    workflow_parameter: str | None

    @property
    def input_name(self) -> str:
        """Name of the template input; Argo names are kebab-case by convention."""
        return self.key.replace("_", "-")


@dataclass(frozen=True)
class ResourceProfile:
    """Kubernetes resource requests and limits of a task container."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


# Planning only counts series; the analysis tasks hold one shard's slice of data in memory.
LIGHT = ResourceProfile(cpu_request="100m", memory_request="256Mi", cpu_limit="500m", memory_limit="512Mi")
STANDARD = ResourceProfile(cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="4Gi")


@dataclass(frozen=True)
class TaskSpec:
    """A task as the workflows see it: its CLI name, parameters, resources and extra outputs."""

    name: str
    params: tuple[TaskParam, ...] = ()
    resources: ResourceProfile = STANDARD
    extra_outputs: tuple[str, ...] = ()

    @property
    def template_name(self) -> str:
        """Name of the task's reusable container template, e.g. ``task-validate``."""
        return f"task-{self.name}"

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every output parameter the task writes into :data:`OUTPUTS_DIR`."""
        return COUNT_OUTPUTS + self.extra_outputs


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        name="plan",
        params=(
            TaskParam("series_per_shard", "250", "series-per-shard"),
            TaskParam("max_shards", "8", "max-shards"),
            TaskParam("missing_variants", MISSING_VARIANTS, "missing-variants"),
            TaskParam("anomaly_variants", ANOMALY_VARIANTS, "anomaly-variants"),
        ),
        resources=LIGHT,
        extra_outputs=(SHARDS_OUTPUT, MISSING_FANOUT, ANOMALY_FANOUT),
    ),
    TaskSpec(name="validate"),
    TaskSpec(name="deduplicate", params=(TaskParam("policy", "mean", "dedup-policy"),)),
    TaskSpec(name="describe"),
    TaskSpec(name="regularity", params=(TaskParam("lookback_days", "60", "regularity-lookback-days"),)),
    TaskSpec(
        name="regularity-decision",
        params=(TaskParam("lookback_days", "14", "decision-lookback-days"),),
    ),
    TaskSpec(name="detect-missing"),
    TaskSpec(name="detect-outliers-iqr", params=(TaskParam("k", "3.0", "outlier-k"),)),
    TaskSpec(name="handle-missing", params=(TaskParam("variant", "linear", None),)),
    TaskSpec(name="pool-missing"),
    TaskSpec(name="decompose"),
    TaskSpec(name="detect-anomalies-residual", params=(TaskParam("threshold", "6.0", "anomaly-threshold"),)),
    TaskSpec(name="handle-anomalies", params=(TaskParam("variant", "keep", None),)),
    TaskSpec(name="pool-anomalies"),
    TaskSpec(name="normalize", params=(TaskParam("method", "minmax", "normalize-method"),)),
    TaskSpec(
        name="window",
        params=(
            TaskParam("input_length", "60", "window-input-length"),
            TaskParam("output_length", "20", "window-output-length"),
        ),
    ),
)
"""Every task the workflows know, in pipeline order."""


def task_spec(name: str) -> TaskSpec:
    """Return the :class:`TaskSpec` named ``name``.

    Raises:
        KeyError: If no task has that name; the message lists the known tasks.

    """
    for spec in TASKS:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in TASKS)
    raise KeyError(f"unknown task {name!r}; known tasks: {known}")
