"""Finance's admin: tolerances, reports (request, progress, summary, downloads), exceptions."""

from .exceptions import ReconciliationExceptionAdmin
from .reports import ReconciliationReportAdmin, ToleranceAdmin

__all__ = ["ReconciliationExceptionAdmin", "ReconciliationReportAdmin", "ToleranceAdmin"]
