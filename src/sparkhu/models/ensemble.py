"""An ensemble of fitted members: the mean of their forecasts (members are chosen on validation)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from sparkhu.models.base import Forecaster, register_family
from sparkhu.models.panel import FloatArray, Series


@register_family()
class Ensemble(Forecaster):
    """The mean of its members' forecasts, step by step; a member's NaN leaves the others' mean.

    Members are given fitted (:meth:`of`); ``fit`` refits each on a new panel.
    """

    family = "ensemble"
    DEFAULTS = {"members": ()}

    def __init__(self, horizon: int, **params: object) -> None:
        super().__init__(horizon, **params)
        self.members: list[Forecaster] = []

    @classmethod
    def of(cls, members: Sequence[Forecaster]) -> Ensemble:
        """An ensemble of already fitted members (all with the same horizon)."""
        if not members or len({member.horizon for member in members}) != 1:
            raise ValueError("an ensemble needs members with one common horizon")
        ensemble = cls(members[0].horizon, members=tuple(member.name for member in members))
        ensemble.members = list(members)
        return ensemble

    @property
    def uses_covariates(self) -> bool:
        """Whether any member reads covariates."""
        return any(member.uses_covariates for member in self.members)

    @property
    def name(self) -> str:
        """``ensemble(member, member, ...)``."""
        return f"ensemble({', '.join(member.name for member in self.members)})"

    def fit(self, panel: Sequence[Series]) -> Ensemble:
        """Refit every member on ``panel``."""
        self.members = [member.fit(panel) for member in self.members]
        return self

    def predict(self, panel: Sequence[Series]) -> FloatArray:
        """The members' mean forecast."""
        return member_mean(np.stack([member.predict(panel) for member in self.members]))


def member_mean(stacked: FloatArray) -> FloatArray:
    """The mean over the first axis of the members' forecasts, NaN where no member forecast.

    A sparse target's forecasts are NaN on the rows where it is never observed: no warning for those.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(stacked, axis=0), dtype=np.float64)
