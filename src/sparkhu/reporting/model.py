"""The report as data: what the HTML template lays out (built first, so it can be tested without HTML)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plot:
    """One inline SVG plot.

    Attributes:
        key: Unique id of the ``<svg>`` element.
        title: Short caption.
        svg: The ``<svg>`` element's text.
    """

    key: str
    title: str
    svg: str


@dataclass(frozen=True)
class TableView:
    """A table of text cells.

    Attributes:
        columns: Header cells.
        rows: Body rows, each as long as ``columns``.
        links: Per row, the anchor its first cell links to ("" for none).
        note: One line under the table (e.g. "first 200 of 350 rows").
        text_columns: Indices of the columns holding prose (left-aligned, wrapped); others are numbers.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    links: tuple[str, ...] = ()
    note: str = ""
    text_columns: tuple[int, ...] = ()


@dataclass(frozen=True)
class Block:
    """A titled part of a section: optional plot, optional table, notes."""

    title: str
    plot: Plot | None = None
    table: TableView | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled run-level section made of blocks (e.g. the relations between series).

    Attributes:
        title: Heading of the section.
        anchor: Its element id (for the table of contents).
        notes: One-line remarks under the heading.
        blocks: Plots and tables, in display order.
    """

    title: str
    anchor: str
    notes: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class SeriesSection:
    """Everything shown about one series.

    Attributes:
        series_id: The series.
        anchor: Its element id (for the table of contents).
        facts: ``(label, value)`` pairs shown as a definition list.
        blocks: Plots (with their notes), in display order.
        statistics: Descriptive statistics, one column per interval (None when not computed).
        notes: One-line remarks (e.g. no points in the interval).
    """

    series_id: str
    anchor: str
    facts: tuple[tuple[str, str], ...]
    blocks: tuple[Block, ...]
    statistics: TableView | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """The whole report.

    Attributes:
        title: Page title.
        header: ``(label, value)`` pairs: run, interval, generated at, lake.
        notes: One-line remarks on how the scope was chosen.
        omitted: One line per section left out because its table does not exist.
        run_blocks: Run summary and variant comparisons.
        overview: Descriptive statistics of every series in the interval.
        series: Per-series sections.
        inventory: Tables of the lake with their row counts.
        relations: Relations between series (None when no ``correlations`` table exists).
        fusion: Forecasts helped by leading partners (None when no ``fusion`` table exists).
    """

    title: str
    header: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    omitted: tuple[str, ...]
    run_blocks: tuple[Block, ...]
    overview: Block
    series: tuple[SeriesSection, ...]
    inventory: TableView
    relations: Section | None = None
    fusion: Section | None = None

    def sections(self) -> tuple[Section, ...]:
        """The run-level sections present, in page order (after the overview, before the series)."""
        return tuple(section for section in (self.relations, self.fusion) if section is not None)

    def plot_keys(self) -> list[str]:
        """Ids of every plot in the report, in page order."""
        related = (block for section in self.sections() for block in section.blocks)
        blocks = [*self.run_blocks, self.overview, *related, *(b for s in self.series for b in s.blocks)]
        return [block.plot.key for block in blocks if block.plot is not None]
