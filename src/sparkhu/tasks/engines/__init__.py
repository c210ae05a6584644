"""Engines run the tasks' data paths (:class:`~sparkhu.tasks.engines.base.SeriesStep`); one is chosen by name.

``SPARKHU_ENGINE`` names the engine (``local`` by default). Adding an engine is one module with a class
that has ``name`` and ``run(lake, step)``, and one entry in :data:`FACTORIES`.
"""

from __future__ import annotations

from collections.abc import Callable

from sparkhu.config import Settings
from sparkhu.tasks.engines.base import Engine, Read, SeriesStep, StepResult, Write, counts
from sparkhu.tasks.engines.local import LocalEngine
from sparkhu.tasks.params import TaskInputError

FACTORIES: dict[str, Callable[[Settings], Engine]] = {
    "local": lambda settings: LocalEngine(settings.workers),
}


def engine_for(settings: Settings) -> Engine:
    """The engine ``settings.engine`` names.

    Raises:
        TaskInputError: No engine has that name; the message lists the known ones.
    """
    name = getattr(settings, "engine", "local")
    if name not in FACTORIES:
        raise TaskInputError(f"unknown engine {name!r} (SPARKHU_ENGINE); known engines: {', '.join(FACTORIES)}")
    return FACTORIES[name](settings)


__all__ = ["FACTORIES", "Engine", "LocalEngine", "Read", "SeriesStep", "StepResult", "Write", "counts", "engine_for"]
