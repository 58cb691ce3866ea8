"""Reconciliation statuses, their priority, and the states of a report."""

from django.db import models

# The transaction kind that makes a report; declared with its handler (services.reports).
FINANCE_RECONCILE = "finance.reconcile"
# The per-channel beat job that makes yesterday's report every morning.
FINANCE_DAILY_REPORT = "finance.reconcile.daily"
# The beat job that deletes reports older than the retention period.
FINANCE_REPORT_CLEANUP = "finance.reports.cleanup"


class ReconciliationStatus(models.TextChoices):
    """One status per order: ``matched`` or the exception that explains it.

    The order of the exceptions below is their priority, highest first: when
    several hold for one order, the report shows the first as its status and
    the others in ``other_reasons``. It follows the money: an invoice for a
    cancelled order is billed money that should not exist; an order the ERP
    never got makes every later comparison meaningless; amounts in different
    currencies cannot be compared at all; then the ERP's value, then billing
    errors (twice, in full for a short shipment, before shipping), then
    unbilled goods, then the payment side.
    """

    MATCHED = "matched", "Matched"
    CANCELLED_BUT_INVOICED = "cancelled_but_invoiced", "Cancelled but invoiced"
    NOT_IN_ERP = "not_in_erp", "Not in the ERP"
    CURRENCY_DIFFERS = "currency_differs", "Currency differs"
    ERP_AMOUNT_DIFFERS = "erp_amount_differs", "ERP amount differs"
    INVOICED_TWICE = "invoiced_twice", "Invoiced twice"
    SHORT_SHIPPED_INVOICED_IN_FULL = (
        "short_shipped_invoiced_in_full",
        "Short shipped, invoiced in full",
    )
    INVOICED_NOT_SHIPPED = "invoiced_not_shipped", "Invoiced, not shipped"
    SHIPPED_NOT_INVOICED = "shipped_not_invoiced", "Shipped, not invoiced"
    SETTLED_NOT_INVOICED = "settled_not_invoiced", "Settled, not invoiced"
    SETTLED_AMOUNT_DIFFERS = "settled_amount_differs", "Settled amount differs"
    NOT_SETTLED_AFTER_N_DAYS = "not_settled_after_n_days", "Not settled after N days"


# Exceptions, highest priority first (the declaration order above).
EXCEPTION_PRIORITY: tuple[str, ...] = tuple(
    status for status in ReconciliationStatus.values if status != ReconciliationStatus.MATCHED
)


class PeriodBasis(models.TextChoices):
    ORDER_DATE = "order-date", "Order date"
    INVOICE_DATE = "invoice-date", "Invoice date"


class ReportFormat(models.TextChoices):
    BOTH = "both", "CSV and XLSX"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
