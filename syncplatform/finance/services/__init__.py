"""Finance use cases: reconciliation reports (matching, files, requests, the daily job)."""

from .matching import OrderFacts, Rules, Scope, classify, reconciled_orders
from .reports import (
    ReportError,
    delete_old_reports,
    make_daily_reports,
    make_report,
    request_report,
    run_report,
    write_report,
)

__all__ = [
    "OrderFacts",
    "ReportError",
    "Rules",
    "Scope",
    "classify",
    "delete_old_reports",
    "make_daily_reports",
    "make_report",
    "reconciled_orders",
    "request_report",
    "run_report",
    "write_report",
]
