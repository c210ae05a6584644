"""The candidate configurations a search tries when no tuner proposes them: grids per family.

The grids are search spaces, not tuned on any test part: validation on the training part chooses among
them. Context lengths of one, two, four, seven and fourteen seasons of steps, the three scalings, with
and without calendar, three ridge penalties; then the two best ridges again with absolute loss
(:func:`refinements`); boosting at two context lengths and two learning rates per covariate choice;
the local statistical models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import product

from sparkhu.models.evaluation import Candidate, Validation

QUICK_FAMILIES = ("seasonal_naive", "ridge", "lightgbm", "auto_theta")
STANDARD_FAMILIES = (*QUICK_FAMILIES, "auto_ets")


BOOSTING_RATES = (0.05, 0.01)
"""Learning rates of the boosting candidates (200 rounds each): the default, and a five times gentler one
for long noisy histories whose boosters overfit at the default (ETTh1's validation: scaled MAE 1.725 at
0.05, 1.664 at 0.02, 1.654 at 0.01)."""


MAX_LAGS = 720
"""Longest context a lag model is given: beyond it a ridge's fit grows quadratically for little gain (a
day of one-minute data is 1,440 steps; such series need coarser features, not longer contexts)."""


def seasons_of(season: int, multiples: tuple[int, ...]) -> list[int]:
    """``multiples`` of the season in steps (of ten steps without a season), capped at MAX_LAGS, distinct."""
    unit = season if season > 1 else 10
    return sorted({min(unit * k, MAX_LAGS) for k in multiples})


def lag_choices(season: int) -> list[int]:
    """Context lengths: 1, 2, 4, 7 and 14 seasons (tens of steps without a season), capped at MAX_LAGS."""
    return seasons_of(season, (1, 2, 4, 7, 14))


def boosting_contexts(season: int) -> list[int]:
    """The boosters' context lengths: seven and fourteen seasons (one when both are capped at MAX_LAGS).

    Shorter contexts validated worse (ETTh1 OT, LightGBM L1 at rate 0.01, scaled MAE: 48 lags 1.737,
    168 lags 1.654, 336 lags 1.643).
    """
    return seasons_of(season, (7, 14))


def default_candidates(season: int, covariates: bool, families: tuple[str, ...] = STANDARD_FAMILIES) -> list[Candidate]:
    """The default search: the naive gate, a ridge grid, boosting, the local statistical models.

    With ``covariates``, each lag model is tried without them and with their last season of history,
    so that validation decides whether they help.
    """
    covariate_lags = [0, max(season, 6)] if covariates else [0]
    out: list[Candidate] = []
    if "seasonal_naive" in families:
        out.append(Candidate("seasonal_naive"))
    if "ridge" in families:
        grid = product(lag_choices(season), ("series", "last", "window"), (False, True), (1.0, 10.0, 100.0),
                       covariate_lags)
        out += [Candidate("ridge", {"lags": lags, "scaling": scaling, "calendar": calendar, "alpha": alpha,
                                    "covariate_lags": cov}) for lags, scaling, calendar, alpha, cov in grid]
    if "lightgbm" in families:
        out += [Candidate("lightgbm", {"lags": lags, "scaling": "last", "calendar": True, "objective": "l1",
                                       "covariate_lags": cov, "learning_rate": rate})
                for lags, rate, cov in product(boosting_contexts(season), BOOSTING_RATES, covariate_lags)]
    if "lstm" in families:  # only when asked: minutes of training per candidate (benchmarks/lstm)
        out += [Candidate("lstm", {"seasons": seasons}) for seasons in (1, 2)]
    out += [Candidate(family) for family in ("auto_theta", "auto_ets", "auto_arima") if family in families]
    return out


def refinements(results: Sequence[Validation], count: int = 2) -> list[Candidate]:
    """The ``count`` best ridge configurations again with absolute loss (a second, narrower round)."""
    ridges = [r for r in results if r.candidate.family == "ridge" and r.candidate.params.get("loss") != "absolute"]
    best = sorted(ridges, key=lambda r: r.score)[:count]
    return [replace(r.candidate, params={**r.candidate.params, "loss": "absolute"}) for r in best]


MAX_PARTNER_LAGS = 48
"""Most buckets of partner history a fused model reads (each is four columns per partner): a day of
half-hourly buckets; a 1-minute target's day-long season would make thousands of columns."""


def fusion_candidates(season: int) -> list[Candidate]:
    """One target with and without its partners: the naive gate, Theta, short ridges each way.

    The same ridges read the partners' last ``max(season, 6)`` buckets (at most MAX_PARTNER_LAGS) or
    nothing, so that the fused and the alone model differ only in what they see.
    """
    partner_lags = min(max(season, 6), MAX_PARTNER_LAGS)
    ridges = [Candidate("ridge", {"lags": lags, "scaling": scaling, "alpha": 10.0, "covariate_lags": cov})
              for lags in lag_choices(season)[:3] for scaling in ("last", "series") for cov in (0, partner_lags)]
    return [Candidate("seasonal_naive"), Candidate("auto_theta"), *ridges]
