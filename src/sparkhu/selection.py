"""One selection mechanism: candidates per series -> scores -> choice, recorded for the report.

Every place where Sparkhu tries several ways of doing the same thing and keeps the best one per series
uses this module: the imputation variants (``pool-missing``), the anomaly-handling variants
(``pool-anomalies``) and the model families (later, ``train``). The contract is a long score table,
one row per series and candidate::

    series_id | candidate | score | n

where ``score`` is the error the selection minimises (lower is better, NaN when it could not be
measured) and ``n`` the number of points it was measured on. :func:`choose` keeps the lowest score per
series (ties and unmeasured series decided by a preference order), :func:`summarize` turns scores and
choices into the report row's ``<metric>.<candidate>`` and ``chosen.<candidate>`` entries, and
:func:`overlay` builds the chosen result when each candidate only stores the rows it changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sparkhu.frame import SERIES, TS, VALUE, require_columns

CANDIDATE = "candidate"
SCORE = "score"
COUNT = "n"
CHOSEN = "chosen"
SCORE_COLUMNS = (SERIES, CANDIDATE, SCORE, COUNT)
CHOICE_COLUMNS = (SERIES, CHOSEN, SCORE)


def empty_scores() -> pd.DataFrame:
    """A score table without rows, typed."""
    return pd.DataFrame({SERIES: pd.Series(dtype="string"), CANDIDATE: pd.Series(dtype="string"),
                         SCORE: pd.Series(dtype="float64"), COUNT: pd.Series(dtype="int64")})


def choose(scores: pd.DataFrame, preference: Sequence[str], default: str) -> pd.DataFrame:
    """The candidate with the lowest score per series.

    Args:
        scores: ``series_id, candidate, score`` (one row per series and candidate; NaN: not measured).
        preference: Candidates in tie-break order: of equal scores, the one listed earlier wins; an
            unlisted candidate comes after every listed one (and ties among those go by name).
        default: The choice of a series none of whose candidates could be measured.

    Returns:
        ``series_id, chosen, score`` (score NaN for a defaulted series), one row per series, sorted by
        series_id.

    Raises:
        ValueError: If ``scores`` lacks a column.
    """
    require_columns(scores, [SERIES, CANDIDATE, SCORE])
    rank = {name: index for index, name in enumerate(preference)}
    table = scores.assign(_rank=scores[CANDIDATE].astype(str).map(lambda name: rank.get(name, len(rank))))
    measured = table[table[SCORE].notna()].sort_values([SERIES, SCORE, "_rank", CANDIDATE], kind="stable")
    best = measured.drop_duplicates(SERIES)[[SERIES, CANDIDATE, SCORE]].rename(columns={CANDIDATE: CHOSEN})
    unmeasured = sorted(set(table[SERIES].astype(str)) - set(best[SERIES].astype(str)))
    fallback = pd.DataFrame({SERIES: unmeasured, CHOSEN: default, SCORE: np.nan})
    chosen = pd.concat([best, fallback], ignore_index=True) if unmeasured else best
    chosen = chosen.sort_values(SERIES, kind="stable").reset_index(drop=True)
    return chosen.astype({SERIES: "string", CHOSEN: "string", SCORE: "float64"})


def summarize(scores: pd.DataFrame, choice: pd.DataFrame, metric: str) -> tuple[dict[str, float], dict[str, int]]:
    """What a report row records of a selection.

    Args:
        scores: The score table.
        choice: The output of :func:`choose`.
        metric: Name of the score (e.g. ``mae``), the prefix of the per-candidate means.

    Returns:
        ``({"<metric>.<candidate>": mean score over measured series}, {"chosen.<candidate>": series})``.
    """
    means = scores.groupby(CANDIDATE, observed=True)[SCORE].mean().dropna()
    chosen = choice[CHOSEN].value_counts()
    return ({f"{metric}.{name}": float(value) for name, value in means.items()},
            {f"{CHOSEN}.{name}": int(value) for name, value in chosen.items()})


def overlay(base: pd.DataFrame, changes: pd.DataFrame, choice: pd.DataFrame,
            columns: Sequence[str] = (VALUE,)) -> pd.DataFrame:
    """``base`` with, per series, the rows its chosen candidate changed written over it.

    Candidates that only store the rows they change (an imputation stores the points it filled) are
    pooled by this: every other row of the chosen result equals the input.

    Args:
        base: Long frame the candidates started from (unique ``series_id, ts``).
        changes: ``series_id, ts, candidate`` plus ``columns``: each candidate's changed rows.
        choice: The output of :func:`choose`; a series without a row keeps its base rows.
        columns: The columns a change replaces.

    Returns:
        ``base`` (same rows and order) with the chosen changes applied and a ``method`` column holding
        each series' choice (missing when the series has no choice).

    Raises:
        ValueError: If a frame lacks a column.
    """
    require_columns(changes, [SERIES, TS, CANDIDATE, *columns])
    chosen_of = choice.set_index(SERIES)[CHOSEN]
    method = base[SERIES].map(chosen_of).astype("string")
    # A series without a choice wants "", which no candidate is called.
    wanted = changes[SERIES].map(chosen_of).astype("string").fillna("").to_numpy(dtype=object)
    taken = changes[changes[CANDIDATE].astype("string").fillna("").to_numpy(dtype=object) == wanted]
    out = base.assign(method=method.to_numpy())
    if not len(taken):
        return out
    keys = pd.MultiIndex.from_frame(out[[SERIES, TS]].astype({SERIES: "string"}))
    where = keys.get_indexer(pd.MultiIndex.from_frame(taken[[SERIES, TS]].astype({SERIES: "string"})))
    found = where >= 0
    for column in columns:
        values = out[column].to_numpy(copy=True)
        values[where[found]] = taken[column].to_numpy()[found]
        out[column] = values
    return out
