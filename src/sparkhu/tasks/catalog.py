"""Every task module, imported so that each registers its TaskSpec (one mechanism, many registrations).

A task is a module of this package that calls :func:`~sparkhu.tasks.spec.register`; the runtime
modules below are the only others. Adding a task is adding its module: nothing here lists tasks.
"""

from __future__ import annotations

import importlib
import pkgutil

import sparkhu.tasks

RUNTIME_MODULES = frozenset({"catalog", "context", "engines", "interval", "params", "runner", "spec"})
"""The package's modules that are the task runtime, not tasks."""


def import_task_modules() -> list[str]:
    """Import every task module of the package; return their names (sorted)."""
    names = sorted(info.name for info in pkgutil.iter_modules(sparkhu.tasks.__path__)
                   if info.name not in RUNTIME_MODULES and not info.name.startswith("_"))
    for name in names:
        importlib.import_module(f"sparkhu.tasks.{name}")
    return names


TASK_MODULES = import_task_modules()
