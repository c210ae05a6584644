"""The "Relations between series" section, from the rows of the ``correlations`` table.

Each row is one pair of series of one group measured on their common grid (``grid_s``): the level
correlations (Pearson, Spearman), the correlation of the differences (``diff_corr``), the best lead
(``best_lag_s``, positive when ``series_a`` leads ``series_b``), its correlation and significance
(``p_value``), or, for a pair that could not be measured, why (``note``). The section shows, per group,
a heat-map of the pairwise correlation of differences (levels of two trending series correlate whatever
their relation), a lead-lag chart of the strongest significant pairs, a table of the pairs and one line
per pair that was not comparable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkhu.reporting.formatting import MISSING, counted, duration, number, period
from sparkhu.reporting.model import Block, Plot, Section, TableView
from sparkhu.reporting.relation_plots import Lead, heatmap_svg, lead_lag_svg

TITLE = "Relations between series"
ANCHOR = "relations"
#: A pair is significant below this p-value.
SIGNIFICANCE = 0.05
#: Most series on one heat-map (those with the most significant pairs when a group has more).
HEATMAP_SERIES = 30
#: Most groups given a heat-map (those with the most significant pairs).
HEATMAP_GROUPS = 12
#: Pairs on the lead-lag chart (the strongest significant ones).
LEAD_LAG_PAIRS = 15
#: Rows of the pairs table (the strongest first).
TABLE_PAIRS = 50
#: Lines listing pairs that were not comparable.
NOTE_LINES = 100
#: What each measure a heat-map may show is.
MEASURES = {
    "diff_corr": "correlation of differences (diff_corr)",
    "pearson": "Pearson correlation of levels",
    "spearman": "Spearman (rank) correlation of levels",
    "best_lag_corr": "correlation of differences at the best lag",
}
NO_GROUP = "(no group)"
#: Columns in which the latest measurement of a pair is found, first present wins.
RECENCY_COLUMNS = ("interval_end", "interval_start", "computed_at")


def relations_section(pairs: pd.DataFrame | None, measure: str = "diff_corr") -> Section | None:
    """The section of the relations between series.

    Args:
        pairs: Rows of the ``correlations`` table in the report's interval (None when the table does not exist).
        measure: The correlation the heat-maps show (a key of :data:`MEASURES`).

    Returns:
        None when the table does not exist; a section saying so when it holds no pairs.
    """
    if pairs is None:
        return None
    if pairs.empty:
        return Section(TITLE, ANCHOR, ("No correlations computed for this interval.",))
    pairs = latest_pairs(pairs)
    significant = significant_pairs(pairs)
    groups = heatmap_groups(pairs)
    notes = [f"{counted(len(pairs), 'pair')} measured in {counted(len(groups), 'group')}: "
             f"{len(significant):,} significant (p < {SIGNIFICANCE:g}), {int(pairs['note'].ne('').sum()):,} "
             "not comparable.",
             f"Heat-maps show the {MEASURES[measure]}: levels of two trending series correlate whatever their "
             "relation, their differences do not."]
    if len(groups) > HEATMAP_GROUPS:
        notes.append(f"Heat-maps of the {HEATMAP_GROUPS} of {len(groups):,} groups with the most significant pairs.")
    blocks = [*heatmap_blocks(pairs, sorted(groups[:HEATMAP_GROUPS]), measure), lead_lag_block(significant),
              pairs_block(pairs), *not_comparable_blocks(pairs)]
    return Section(TITLE, ANCHOR, tuple(notes), tuple(blocks))


def latest_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per group and pair (the latest measured), a text ``group`` and ``note`` ('' for none).

    Args:
        pairs: Rows of the ``correlations`` table.
    """
    frame = pairs.assign(group=pairs["group"].fillna(NO_GROUP).astype(str),
                         series_a=pairs["series_a"].astype(str), series_b=pairs["series_b"].astype(str),
                         note=pairs["note"].fillna("").astype(str).str.strip())
    return latest_rows(frame, ["group", "series_a", "series_b"])


def latest_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The latest row of each ``keys`` (by the first of :data:`RECENCY_COLUMNS` present), sorted by ``keys``.

    Args:
        frame: Rows of a table computed per interval (several intervals may be in the report's).
        keys: The columns that name one measured thing (a pair, a target).
    """
    recency = next((column for column in RECENCY_COLUMNS if column in frame), None)
    if recency is not None:
        frame = frame.sort_values(recency, kind="stable")
    latest = frame.drop_duplicates(keys, keep="last")
    return latest.sort_values(keys, kind="stable", ignore_index=True)


def significant_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The comparable pairs with ``p_value`` below :data:`SIGNIFICANCE`, strongest lagged correlation first."""
    p_values = pd.to_numeric(pairs["p_value"], errors="coerce")
    chosen = pairs[(p_values < SIGNIFICANCE) & pairs["best_lag_corr"].notna() & pairs["note"].eq("")]
    return by_strength(chosen)


def by_strength(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` ordered by the absolute lagged correlation, strongest first (unmeasured last), then by id."""
    strength = pd.to_numeric(pairs["best_lag_corr"], errors="coerce").abs()
    ordered = pairs.assign(_strength=strength).sort_values(
        ["_strength", "group", "series_a", "series_b"], ascending=[False, True, True, True], na_position="last",
        kind="stable")
    return ordered.drop(columns="_strength").reset_index(drop=True)


def group_series(pairs: pd.DataFrame, limit: int = HEATMAP_SERIES) -> tuple[list[str], int]:
    """The series of one group's heat-map and how many series the group has.

    Args:
        pairs: One group's pairs.
        limit: Most series shown; above it, those with the most significant pairs (then by id).

    Returns:
        The series shown (sorted by id) and the group's number of series.
    """
    every = sorted(set(pairs["series_a"]) | set(pairs["series_b"]))
    if len(every) <= limit:
        return every, len(every)
    significant = significant_pairs(pairs)
    counts = pd.concat([significant["series_a"], significant["series_b"]]).value_counts()
    ranked = sorted(every, key=lambda series: (-int(counts.get(series, 0)), series))
    return sorted(ranked[:limit]), len(every)


def correlation_matrix(pairs: pd.DataFrame, series: list[str], measure: str) -> pd.DataFrame:
    """The symmetric matrix of ``measure`` over ``series`` (1 on the diagonal, NaN where no pair was measured).

    Args:
        pairs: One group's pairs (each unordered pair at most once).
        series: Rows and columns of the matrix, in order.
        measure: The column of ``pairs`` to show.
    """
    index = pd.Index(series)
    rows, columns = index.get_indexer(pairs["series_a"]), index.get_indexer(pairs["series_b"])
    inside = (rows >= 0) & (columns >= 0)
    values = pd.to_numeric(pairs[measure], errors="coerce").to_numpy(dtype=np.float64)[inside]
    matrix = np.full((len(series), len(series)), np.nan)
    matrix[rows[inside], columns[inside]] = values
    matrix[columns[inside], rows[inside]] = values
    np.fill_diagonal(matrix, 1.0)
    return pd.DataFrame(matrix, index=index, columns=index)


def heatmap_groups(pairs: pd.DataFrame) -> list[str]:
    """Every group, those with the most significant pairs first (then by name)."""
    significant = significant_pairs(pairs)["group"].value_counts()
    return sorted(pairs["group"].unique(), key=lambda group: (-int(significant.get(group, 0)), str(group)))


def heatmap_blocks(pairs: pd.DataFrame, groups: list[str], measure: str = "diff_corr") -> list[Block]:
    """One heat-map of ``measure`` per group of ``groups``, in order.

    Args:
        pairs: Every pair (as :func:`latest_pairs` gives them).
        groups: The groups to draw.
        measure: The column of ``pairs`` the colours show (a key of :data:`MEASURES`).
    """
    blocks = []
    for index, group in enumerate(groups, start=1):
        rows = pairs[pairs["group"] == group]
        series, total = group_series(rows)
        key = f"plot-relations-{index}-heatmap"
        svg = heatmap_svg(correlation_matrix(rows, series, measure), f"{group}: {MEASURES[measure]}",
                          MEASURES[measure], key)
        notes = [f"{counted(len(rows), 'pair')} of {total:,} series; grey: pair not measured or not comparable."]
        if total > len(series):
            notes.append(f"Showing the {len(series)} of {total:,} series with the most significant pairs.")
        blocks.append(Block(f"Group {group}: correlation heat-map", Plot(key, f"{group} heat-map", svg),
                            notes=tuple(notes)))
    return blocks


def lead_text(series_a: str, series_b: str, lag_s: float) -> str:
    """Which series of a pair leads, and by how much (positive ``lag_s``: ``series_a`` leads)."""
    if not np.isfinite(lag_s):
        return MISSING
    if lag_s > 0:
        return f"{series_a} leads {series_b} by {duration(lag_s)}"
    if lag_s < 0:
        return f"{series_b} leads {series_a} by {duration(-lag_s)}"
    return f"{series_a} and {series_b} move together (no lag)"


def lead_of(row: pd.Series) -> Lead:
    """The chart's bar of one pair: the leader first, the lead as a positive duration."""
    lag = float(row["best_lag_s"])
    a, b = str(row["series_a"]), str(row["series_b"])
    label = f"{a} leads {b}" if lag > 0 else f"{b} leads {a}" if lag < 0 else f"{a} and {b} together"
    return Lead(label, abs(lag), float(row["best_lag_corr"]))


def lead_lag_block(significant: pd.DataFrame) -> Block:
    """The lead-lag chart of the strongest significant pairs, with one "leads" line per pair."""
    title = "Lead and lag"
    if significant.empty:
        return Block(title, notes=(f"No pair is significant (p < {SIGNIFICANCE:g}).",))
    shown = significant.head(LEAD_LAG_PAIRS)
    key = "plot-relations-lead-lag"
    svg = lead_lag_svg([lead_of(row) for _, row in shown.iterrows()],
                       f"Best lead of the {len(shown)} strongest significant pairs", key)
    lines = tuple(f"{lead_text(str(r.series_a), str(r.series_b), float(r.best_lag_s))} "
                  f"(r = {float(r.best_lag_corr):+.2f}, p = {number(r.p_value)})" for r in shown.itertuples())
    cut = (f"The {len(shown)} strongest of {len(significant):,} significant pairs.",) \
        if len(significant) > len(shown) else ()
    return Block(title, Plot(key, "lead and lag", svg), notes=(*cut, *lines))


def pairs_block(pairs: pd.DataFrame) -> Block:
    """The pairs, strongest lagged correlation first (at most :data:`TABLE_PAIRS`)."""
    ordered = by_strength(pairs).head(TABLE_PAIRS)
    columns = ("group", "series a", "series b", "n", "pearson", "spearman", "diff corr", "best lag",
               "lag corr", "p-value", "grid", "note")
    rows = tuple((str(r.group), str(r.series_a), str(r.series_b), number(r.n), number(r.pearson),
                  number(r.spearman), number(r.diff_corr), duration(r.best_lag_s), number(r.best_lag_corr),
                  number(r.p_value), period(r.grid_s), str(r.note) or MISSING) for r in ordered.itertuples())
    shown = f"The {len(ordered)} strongest of {len(pairs):,} pairs. " if len(pairs) > len(ordered) else ""
    note = f"{shown}Best lag > 0: series a leads series b; correlations on the pair's grid."
    return Block("Pairs", table=TableView(columns, rows, note=note, text_columns=(1, 2, 11)))


def not_comparable_blocks(pairs: pd.DataFrame) -> list[Block]:
    """One line per pair that could not be measured, with the reason recorded (none when every pair was)."""
    bad = pairs[pairs["note"].ne("")]
    if bad.empty:
        return []
    lines = [f"{r.series_a} and {r.series_b} (group {r.group}) not comparable: {r.note}"
             for r in bad.head(NOTE_LINES).itertuples()]
    if len(bad) > NOTE_LINES:
        lines.append(f"… and {len(bad) - NOTE_LINES:,} more pairs not comparable.")
    return [Block(f"Pairs not comparable ({len(bad):,})", notes=tuple(lines))]
