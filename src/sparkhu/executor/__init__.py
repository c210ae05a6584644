"""The local executor: runs rendered Argo WorkflowTemplates on this machine (see ``run_workflow``)."""

from sparkhu.executor.engine import effective_parallelism, load_workflow, run_workflow, workflow_parameters
from sparkhu.executor.errors import NodeError, ParameterError, UnsupportedFeatureError, WorkflowSpecError
from sparkhu.executor.results import FINISHED, PHASES, NodeResult, RunEvent, RunResult
from sparkhu.executor.warm import DEFAULT_ENTRYPOINTS

__all__ = [
    "DEFAULT_ENTRYPOINTS",
    "FINISHED",
    "PHASES",
    "NodeError",
    "NodeResult",
    "ParameterError",
    "RunEvent",
    "RunResult",
    "UnsupportedFeatureError",
    "WorkflowSpecError",
    "effective_parallelism",
    "load_workflow",
    "run_workflow",
    "workflow_parameters",
]
