"""HTML reports of a run (the offline analysis store): plots and tables from the stored tables and report rows."""

from sparkhu.reporting.build import WrittenReport, build_report, write_report
from sparkhu.reporting.scope import DEFAULT_SERIES_LIMIT, ReportRequest, ReportScopeError

__all__ = ["DEFAULT_SERIES_LIMIT", "ReportRequest", "ReportScopeError", "WrittenReport", "build_report",
           "write_report"]
