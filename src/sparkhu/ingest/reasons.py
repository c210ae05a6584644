"""Per-row reasons for quarantine, kept in one object array (None: the row is fine)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def no_reasons(size: int) -> np.ndarray:
    """A reason array for ``size`` rows, all fine."""
    return np.full(size, None, dtype=object)


def add_reason(reasons: np.ndarray, mask: np.ndarray, reason: str | np.ndarray) -> None:
    """Append ``reason`` to the rows where ``mask`` is true (a row can have several, joined by ``; ``).

    Args:
        reasons: The reason array, changed in place.
        mask: Rows concerned.
        reason: One text for all of them, or one text per concerned row (in row order).

    """
    where = np.flatnonzero(mask)
    if where.size == 0:
        return
    current = pd.Series(reasons[where], dtype=object)
    new = pd.Series(reason if isinstance(reason, np.ndarray) else [reason] * where.size, dtype=object)
    reasons[where] = np.where(current.isna(), new, current + "; " + new)


def ok_rows(reasons: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows without a reason."""
    return pd.isna(reasons)


def quoted(texts: pd.Series, limit: int = 60) -> np.ndarray:
    """Texts shortened and quoted for a reason message."""
    short = texts.astype(str).str.slice(0, limit)
    return ("'" + short + "'").to_numpy(dtype=object)
