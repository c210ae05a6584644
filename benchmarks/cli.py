"""The ``sparkhu`` command lines the benchmarks measure, located once."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

UNIVARIATE_RUN = ("run", "--workflow", "univariate")
"""The cleaning chain into the feature store: since the model and multivariate workflows exist, a plain
``sparkhu run`` also tunes, trains and forecasts, which is not what the chain benchmarks compare."""


def sparkhu_cli() -> str:
    """The ``sparkhu`` entry point of the running interpreter's environment (falls back to ``PATH``)."""
    local = Path(sys.executable).with_name("sparkhu")
    return str(local) if local.exists() else (shutil.which("sparkhu") or "sparkhu")
