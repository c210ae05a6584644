"""One interface for every model family, and the registry that names them (like the imputation variants).

A :class:`Forecaster` is a family with fixed hyperparameters. ``fit`` learns from a panel of series
(global families learn across all of them, local ones keep nothing), ``predict`` forecasts the
``horizon`` steps after the end of each series of a panel, directly (one output per step, no recursion).
A family registers itself with :func:`register_family`; :func:`build` makes one from its name and
parameters, and :data:`SEARCH_SPACES` holds what tuning may try for it.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from sparkhu.models.intervals import ConformalIntervals
from sparkhu.models.panel import FloatArray, Series

ParamSpace = Mapping[str, Sequence[Any]]


class Forecaster(ABC):
    """A model family instance.

    Args:
        horizon: Steps to forecast after each series' last value.
        params: The family's hyperparameters (see its ``DEFAULTS``); unknown names are an error.
    """

    family: ClassVar[str] = ""
    DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, horizon: int, **params: Any) -> None:
        if horizon < 1:
            raise ValueError(f"the horizon must be at least 1 step, got {horizon}")
        unknown = sorted(set(params) - set(self.DEFAULTS))
        if unknown:
            raise ValueError(f"{self.family}: unknown parameters {unknown}; it takes {sorted(self.DEFAULTS)}")
        self.horizon = horizon
        self.params: dict[str, Any] = {**self.DEFAULTS, **params}
        self.intervals: ConformalIntervals | None = None  # set once calibrated on held-out errors

    @property
    def uses_covariates(self) -> bool:
        """Whether the forecasts read the series' covariates."""
        return False

    @property
    def name(self) -> str:
        """A readable name: the family plus the parameters that differ from its defaults."""
        changed = [f"{key}={value}" for key, value in sorted(self.params.items()) if self.DEFAULTS.get(key) != value]
        return f"{self.family}({', '.join(changed)})" if changed else self.family

    @abstractmethod
    def fit(self, panel: Sequence[Series]) -> Forecaster:
        """Learn from the series of ``panel`` (their whole history); return self."""

    @abstractmethod
    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """Forecasts of shape ``(len(panel), horizon)``: the steps after each series' last value."""

    def save(self, path: Path) -> None:
        """Write the fitted model to ``path`` (pickle)."""
        path.write_bytes(pickle.dumps(self))

    @staticmethod
    def load(path: Path) -> Forecaster:
        """Read a model written by :meth:`save`."""
        model = pickle.loads(path.read_bytes())
        if not isinstance(model, Forecaster):
            raise TypeError(f"{path} does not hold a Sparkhu forecaster")
        return model


FAMILIES: dict[str, type[Forecaster]] = {}
SEARCH_SPACES: dict[str, ParamSpace] = {}
F = TypeVar("F", bound=type[Forecaster])


def register_family(space: ParamSpace | None = None) -> Callable[[F], F]:
    """Class decorator registering a family under its ``family`` name, with what tuning may try.

    Raises:
        ValueError: The name is taken or the class has none.
    """

    def add(cls: F) -> F:
        if not cls.family or cls.family in FAMILIES:
            raise ValueError(f"model family {cls.family!r} has no name or is registered twice")
        FAMILIES[cls.family] = cls
        SEARCH_SPACES[cls.family] = dict(space or {})
        return cls

    return add


def build(family: str, horizon: int, params: Mapping[str, Any] | None = None) -> Forecaster:
    """A forecaster of ``family`` with ``params``.

    Raises:
        ValueError: Unknown family (the message lists the known ones) or parameters.
    """
    _import_families()
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[family](horizon, **dict(params or {}))


def _import_families() -> None:
    """Import every family module so that each registers."""
    from sparkhu.models import boosting, ensemble, linear, lstm, naive, statistical  # noqa: F401


def nan_forecasts(count: int, horizon: int) -> FloatArray:
    """A forecast block of NaN (a series a family cannot forecast)."""
    return np.full((count, horizon), np.nan)
