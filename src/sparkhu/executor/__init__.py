"""The local executor: runs rendered Argo WorkflowTemplates on this machine (see ``run_workflow``)."""

from sparkhu.executor.engine import effective_parallelism, load_workflow, run_workflow, workflow_parameters
from sparkhu.executor.errors import NodeError, ParameterError, UnsupportedFeatureError, WorkflowSpecError
from sparkhu.executor.logs import EXCERPT_LINES, log_tail
from sparkhu.executor.results import FINISHED, PHASES, NodeResult, RunEvent, RunResult
from sparkhu.executor.retry import LOCAL_MAX_DELAY_S, BackoffMode, RetryTiming
from sparkhu.executor.warm import DEFAULT_ENTRYPOINTS

__all__ = [
    "DEFAULT_ENTRYPOINTS",
    "EXCERPT_LINES",
    "FINISHED",
    "LOCAL_MAX_DELAY_S",
    "PHASES",
    "BackoffMode",
    "NodeError",
    "NodeResult",
    "ParameterError",
    "RetryTiming",
    "RunEvent",
    "RunResult",
    "UnsupportedFeatureError",
    "WorkflowSpecError",
    "effective_parallelism",
    "load_workflow",
    "log_tail",
    "run_workflow",
    "workflow_parameters",
]
