"""Build the report of a run from the lake, and write it as one self-contained HTML file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sparkhu.reporting.data import ReportData, load, present_tables
from sparkhu.reporting.formatting import MISSING, instant, number
from sparkhu.reporting.fusion import fusion_section
from sparkhu.reporting.html import render_html
from sparkhu.reporting.model import Report, TableView
from sparkhu.reporting.relations import relations_section
from sparkhu.reporting.run_blocks import comparison_blocks, overview_block, summary_block
from sparkhu.reporting.scope import ReportRequest, ReportScope, resolve_scope
from sparkhu.reporting.series_section import series_section
from sparkhu.storage.lake import Lake
from sparkhu.storage.tables import TABLES

#: What each table adds to the report, for the one-line note when it is absent.
SECTION_OF_TABLE = {
    "reports": "run summary and variant comparisons",
    "stats": "descriptive statistics",
    "regularity": "decided sampling periods",
    "missing_marked": "missing-point overlays",
    "outliers": "outlier markers and fences",
    "imputed": "imputed values and chosen imputation method",
    "decomposed": "decomposition plots",
    "anomalies": "anomaly markers and scores",
    "cleaned": "chosen anomaly handling",
    "scalers": "scaler parameters",
    "windows": "window counts",
    "forecasts": "forecast lines and bands",
    "correlations": "relations between series",
    "fusion": "forecasts helped by leading partners",
}


@dataclass(frozen=True)
class WrittenReport:
    """A report written to disk.

    Attributes:
        path: The HTML file.
        report: What it shows.
        size_bytes: File size.
    """

    path: Path
    report: Report
    size_bytes: int


def build_report(lake: Lake, request: ReportRequest, now: datetime | None = None) -> Report:
    """Collect and draw everything the report shows.

    Args:
        lake: The lake to read.
        request: Run, series and interval wanted.
        now: Time stamped as "generated at" (default: the current time).

    Raises:
        ReportScopeError: Unknown run or series.
    """
    scope = resolve_scope(lake, request)
    present = present_tables(lake, tuple(TABLES))
    data = load(lake, scope, present)
    comparisons = comparison_blocks(scope.reports, scope.all_series)
    imputation = next((c for c, _ in comparisons if c.task == "pool-missing"), None)
    sections = tuple(series_section(i + 1, sid, data, imputation) for i, sid in enumerate(scope.series))
    anchors = {section.series_id: section.anchor for section in sections}
    return Report(
        title=f"Sparkhu report · run {scope.run_id}" if scope.run_id else "Sparkhu report",
        header=_header(lake, scope, now or datetime.now(UTC)), notes=scope.notes,
        omitted=_omitted(present), run_blocks=(summary_block(scope.reports), *(b for _, b in comparisons)),
        overview=overview_block(data.table("stats"), data.table("regularity"), anchors),
        series=sections, inventory=_inventory(lake, data), relations=relations_section(data.table("correlations")),
        fusion=fusion_section(data.table("fusion")),
    )


def write_report(lake: Lake, request: ReportRequest, out: Path, now: datetime | None = None) -> WrittenReport:
    """Build the report and write it to ``out`` as one HTML file with everything inline."""
    report = build_report(lake, request, now)
    html = render_html(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return WrittenReport(out, report, len(html.encode("utf-8")))


def _header(lake: Lake, scope: ReportScope, now: datetime) -> tuple[tuple[str, str], ...]:
    interval = f"{instant(scope.start) if scope.start is not None else 'beginning'} → " \
               f"{instant(scope.end) if scope.end is not None else 'end'}"
    return (("run", scope.run_id or MISSING), ("interval (UTC)", interval),
            ("series", f"{len(scope.series)} shown of {len(scope.all_series)}"),
            ("generated at", instant(pd.Timestamp(now))), ("lake", lake.root))


def _omitted(present: frozenset[str]) -> tuple[str, ...]:
    """One line per report part left out because its (declared) table does not exist."""
    return tuple(f"No `{name}` table in the lake: {what} omitted."
                 for name, what in SECTION_OF_TABLE.items() if name in TABLES and name not in present)


def _inventory(lake: Lake, data: ReportData) -> TableView:
    """The lake's tables with rows and version (what this report could draw on)."""
    summaries = {name: lake.summary(name) for name in TABLES if name in data.present}
    rows = tuple((name, number(summary.rows), number(summary.version), TABLES[name].description)
                 for name, summary in summaries.items())
    return TableView(("table", "rows", "version", "description"), rows, text_columns=(3,))

