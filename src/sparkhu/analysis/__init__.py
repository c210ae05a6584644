"""Pure analysis algorithms on long-format frames: numpy and pandas only, no I/O.

Every function takes and returns pandas frames in the long format of :mod:`sparkhu.frame`
(``series_id``, ``ts``, ``value`` plus per-step columns) and works on many series at once.
"""

from sparkhu.analysis.decision import Decision, decide_period, decide_periods
from sparkhu.analysis.dedup import DedupResult, deduplicate
from sparkhu.analysis.describe import describe
from sparkhu.analysis.missing import mark_missing
from sparkhu.analysis.regularity import PeriodEstimate, estimate_period, estimate_periods
from sparkhu.analysis.validation import ValidationResult, validate_points

__all__ = [
    "Decision",
    "DedupResult",
    "PeriodEstimate",
    "ValidationResult",
    "decide_period",
    "decide_periods",
    "deduplicate",
    "describe",
    "estimate_period",
    "estimate_periods",
    "mark_missing",
    "validate_points",
]
