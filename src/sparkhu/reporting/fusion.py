"""The "Fusion: forecasts helped by leading partners" section, from the rows of the ``fusion`` table.

Each row is one target series of one group over one interval: the partners that lead it (``partners``,
with each one's lead in seconds in ``leads_s``, same order), the best model without them
(``alone_model``) and with them (``fused_model``), both validation scores (scaled MAE), whether validation
chose the fused model (``used``), both MAEs on the held-out tail (in the series' units) and the ``gain``
(``1 - fused / alone``), the MLflow run, or, for a target with nothing to fuse, why (``note``). The section
shows the latest decision per group and target: a table of the targets, one line per target with a note
and, per target with partners, a bar chart of its held-out MAE alone and with partners.
"""

from __future__ import annotations

import math

import pandas as pd

from sparkhu.reporting.bar_plots import bars_svg
from sparkhu.reporting.formatting import MISSING, counted, duration, number
from sparkhu.reporting.model import Block, Plot, Section, TableView
from sparkhu.reporting.relations import NO_GROUP, latest_rows

TITLE = "Fusion: forecasts helped by leading partners"
ANCHOR = "fusion"
USED = "partners used"
ALONE = "alone kept"
#: The sign of a lower MAE with partners: a typographic minus (U+2212), not a hyphen.
MINUS = "\u2212"
#: Rows of the decisions table.
TABLE_TARGETS = 100
#: Targets given a held-out MAE chart (in table order).
CHART_TARGETS = 12
#: Lines listing targets with a note.
NOTE_LINES = 100
#: Text columns of the decisions table the lake may leave empty.
TEXT_COLUMNS = ("partners", "leads_s", "alone_model", "fused_model", "run_id", "note")


def fusion_section(rows: pd.DataFrame | None) -> Section | None:
    """The section of the fusion decisions.

    Args:
        rows: Rows of the ``fusion`` table in the report's interval (None when the table does not exist).

    Returns:
        None when the table does not exist; a section saying so when it holds no decisions.
    """
    if rows is None:
        return None
    if rows.empty:
        return Section(TITLE, ANCHOR, ("No fusion decisions for this interval.",))
    targets = latest_targets(rows)
    with_partners = targets[targets["partners"].ne("")]
    used = int(targets["used"].sum())
    notes = (f"{counted(len(targets), 'target')}: {USED} for {used:,}, {ALONE} for {len(targets) - used:,} "
             f"({len(with_partners):,} had partners to try).",
             "Latest decision per group and target. Validation: scaled MAE (lower is better), it decides; "
             "held-out MAE: on the held-out tail, in the series' units.")
    blocks = [decisions_block(targets), *note_blocks(targets), *chart_blocks(with_partners)]
    return Section(TITLE, ANCHOR, notes, tuple(blocks))


def latest_targets(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per group and target (the latest interval), text columns as text ('' for none), ``used`` a bool.

    Args:
        rows: Rows of the ``fusion`` table.
    """
    text = {column: rows[column].fillna("").astype(str).str.strip() for column in TEXT_COLUMNS if column in rows}
    frame = rows.assign(group=rows["group"].fillna(NO_GROUP).astype(str), series_id=rows["series_id"].astype(str),
                        used=rows["used"].astype("boolean").fillna(False).astype(bool), **text)
    return latest_rows(frame, ["group", "series_id"])


def split_list(text: str) -> list[str]:
    """The items of a comma list ('' gives none)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def partners_text(partners: str, leads_s: str) -> str:
    """Each partner with its lead in human units (``a (leads by 3 h), b (leads by 30 min)``).

    Args:
        partners: Comma list of partner ids.
        leads_s: Comma list of each partner's lead in seconds, same order (a missing one shows as unknown).
    """
    names, leads = split_list(partners), split_list(leads_s)
    if not names:
        return MISSING
    shown = []
    for index, name in enumerate(names):
        lead = _float(leads[index]) if index < len(leads) else math.nan
        shown.append(f"{name} (leads by {duration(lead)})")
    return ", ".join(shown)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def decision(used: bool) -> str:
    """What validation chose for a target."""
    return USED if used else ALONE


def gain_text(gain: object) -> str:
    """The change of held-out MAE with partners: ``0.74`` -> ``MINUS + "74 % MAE with partners"``, a loss ``+``."""
    try:
        value = float(gain)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return MISSING  # None, NA
    if not math.isfinite(value):
        return MISSING
    percent = f"{abs(value) * 100:.0f}"
    sign = "±" if percent == "0" else MINUS if value > 0 else "+"
    return f"{sign}{percent} % MAE with partners"


def decisions_block(targets: pd.DataFrame) -> Block:
    """The table of the targets (those with partners or without a note), at most :data:`TABLE_TARGETS`."""
    shown = targets[targets["partners"].ne("") | targets["note"].eq("")]
    if shown.empty:
        return Block("Decisions", notes=("No target had a leading partner to try.",))
    head = shown.head(TABLE_TARGETS)
    columns = ("group", "target", "partners (lead)", "decision", "model alone", "model fused",
               "validation alone", "validation fused", "held-out MAE alone", "held-out MAE fused", "gain",
               "MLflow run")
    rows = tuple((str(r.group), str(r.series_id), partners_text(str(r.partners), str(r.leads_s)), decision(r.used),
                  str(r.alone_model) or MISSING, str(r.fused_model) or MISSING, number(r.validation_alone),
                  number(r.validation_fused), number(r.holdout_mae_alone), number(r.holdout_mae_fused),
                  gain_text(r.gain), str(r.run_id) or MISSING) for r in head.itertuples())
    cut = f"The first {len(head)} of {len(shown):,} targets. " if len(shown) > len(head) else ""
    note = f"{cut}Gain: change of held-out MAE with the partners (1 - fused / alone)."
    return Block("Decisions", table=TableView(columns, rows, note=note, text_columns=(1, 2, 3, 4, 5, 11)))


def note_blocks(targets: pd.DataFrame) -> list[Block]:
    """One line per target with a note (none when no target has one)."""
    noted = targets[targets["note"].ne("")]
    if noted.empty:
        return []
    lines = [f"{r.series_id}: {r.note}" for r in noted.head(NOTE_LINES).itertuples()]
    if len(noted) > NOTE_LINES:
        lines.append(f"… and {len(noted) - NOTE_LINES:,} more targets with a note.")
    return [Block(f"Targets with a note ({len(noted):,})", notes=tuple(lines))]


def chart_blocks(with_partners: pd.DataFrame) -> list[Block]:
    """Per target with partners and both held-out MAEs, bars of the MAE alone and with partners (the chosen dark)."""
    measured = with_partners[pd.to_numeric(with_partners["holdout_mae_alone"], errors="coerce").notna()
                             & pd.to_numeric(with_partners["holdout_mae_fused"], errors="coerce").notna()]
    blocks = []
    for index, r in enumerate(measured.head(CHART_TARGETS).itertuples(), start=1):
        alone = f"alone ({r.alone_model or MISSING})"
        fused = f"with partners ({r.fused_model or MISSING})"
        key = f"plot-fusion-{index}-mae"
        svg = bars_svg({alone: float(r.holdout_mae_alone), fused: float(r.holdout_mae_fused)},
                       f"{r.series_id}: held-out MAE, {decision(r.used)}", "held-out MAE (series units)", key,
                       highlight=fused if r.used else alone, ranked=False)
        notes = (f"{gain_text(r.gain)}; dark: the model validation chose.",)
        blocks.append(Block(f"Target {r.series_id}: held-out MAE alone and with partners",
                            Plot(key, f"{r.series_id} fusion", svg), notes=notes))
    if len(measured) > len(blocks):
        blocks.insert(0, Block("Held-out MAE charts", notes=(
            f"Charts of the first {len(blocks)} of {len(measured):,} targets with partners.",)))
    return blocks
