"""Reports: requested (admin, beat, command), written as a batch job, kept, cleaned up.

``request_report`` stores the request and its ``finance.reconcile``
transaction; the batch worker runs ``make_report`` (the kind's handler), which
streams the orders through ``write_report`` into the files and records
progress, the summary and the checksums on the report row. ``write_report``
is also what ``manage.py reconcile`` runs, with files where the user says.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import (
    Lane,
    RetryDefaults,
    Schedule,
    scheduled_job,
    transaction_kind,
)
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_transaction
from syncplatform.core.errors import NeedsPerson
from syncplatform.orders.reads import erp_reference_of
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

from .. import conf
from ..choices import (
    FINANCE_DAILY_REPORT,
    FINANCE_RECONCILE,
    FINANCE_REPORT_CLEANUP,
    PeriodBasis,
    ReconciliationStatus,
    ReportFormat,
)
from ..models import ReconciliationException, ReconciliationReport, Tolerance
from .files import CsvReportFile, XlsxReportFile
from .matching import (
    ReconciledOrder,
    Rules,
    Scope,
    count_orders,
    erp_value_counted,
    reconciled_orders,
)
from .summary import Summary

logger = logging.getLogger(__name__)

# Progress is written (and the job's lease renewed) every this many orders.
PROGRESS_EVERY = 10_000
# Exceptions stored per INSERT.
EXCEPTIONS_PER_INSERT = 2000


class ReportError(NeedsPerson):
    """A report that cannot be made as asked (no channels, a period backwards)."""

    code = "report_refused"


class LeaseLost(NeedsPerson):
    code = "lease_lost"


def tolerance_rules(channel_ids, override: Decimal | None = None) -> Callable[[int, str], Rules]:
    """``rules_for(channel_id, currency)``: the channel's tolerance row for the currency,
    else the settings' defaults; ``override`` replaces every amount (the request's)."""
    rows = {
        (t.channel_id, t.currency): Rules(t.amount, t.settlement_days)
        for t in Tolerance.objects.filter(channel_id__in=channel_ids)
    }
    default = Rules(conf.default_tolerance(), conf.default_settlement_days())
    cache: dict[tuple[int, str], Rules] = {}

    def rules_for(channel_id: int, currency: str) -> Rules:
        key = (channel_id, currency)
        rules = cache.get(key)
        if rules is None:
            rules = rows.get(key, default)
            if override is not None:
                rules = rules._replace(tolerance=override)
            cache[key] = rules
        return rules

    return rules_for


class RowFormatter:
    """A reconciled order as the files' row (``files.COLUMNS``)."""

    def __init__(self, channel_codes: dict[int, str]):
        self.channel_codes = channel_codes
        base = conf.public_base_url()
        self.order_url = base + reverse("admin:orders_order_change", args=[0]).replace(
            "/0/", "/{}/"
        )
        self.tx_url = base + reverse("admin:audit_synctransaction_change", args=[0]).replace(
            "/0/", "/{}/"
        )

    def row(self, order: ReconciledOrder) -> tuple:
        f = order.facts
        reasons = order.reasons
        action, tx_url = "", ""
        if order.failed_posting_id is not None and ReconciliationStatus.NOT_IN_ERP in reasons:
            action = operations_action(order.failed_posting_id)
            tx_url = self.tx_url.format(order.failed_posting_id)
        return (
            order.order_id,
            self.channel_codes[order.channel_id],
            order.channel_order_number,
            erp_reference_of(order.order_id),
            order.erp_document_number,
            order.order_date,
            order.order_status,
            order.status,
            ";".join(reasons[1:]),
            f.currency,
            f.channel_total,
            f.erp_currency,
            f.erp_value,
            f.channel_total - erp_value_counted(f),
            f.ordered_quantity,
            f.shipped_quantity,
            order.shipped_value,
            f.invoice_count,
            f.invoiced_value,
            order.first_invoice_date,
            f.settled_gross,
            order.settled_fee,
            order.settled_net,
            order.last_payout_date,
            action,
            tx_url,
            self.order_url.format(order.order_id),
        )


def operations_action(failed_posting_id: int) -> str:
    """What operations can do about an order the ERP never got because its posting failed."""
    return (
        f"operations can fix: the ERP posting failed (transaction {failed_posting_id}); "
        "fix its cause (mapping, partner setting) and Retry now"
    )


@dataclass(frozen=True)
class ReportResult:
    rows: int
    exceptions: int
    summary: dict
    csv_sha256: str = ""
    xlsx_sha256: str = ""


def write_report(
    scope: Scope,
    *,
    tolerance: Decimal | None = None,
    csv_path: Path | None = None,
    xlsx_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_exception: Callable[[ReconciledOrder, tuple], None] | None = None,
) -> ReportResult:
    """Stream the scope's orders into the files asked for; the summary and checksums.

    ``progress(rows_done)`` is called every ``PROGRESS_EVERY`` orders and at the
    end; ``on_exception(order, row)`` for every order that is not matched. A
    failure removes the partial files and raises.
    """
    if not scope.channel_ids:
        raise ReportError("a report needs at least one channel")
    if scope.period_to < scope.period_from:
        raise ReportError(
            f"the period ends ({scope.period_to}) before it starts ({scope.period_from})"
        )
    codes = dict(Partner.objects.filter(pk__in=scope.channel_ids).values_list("pk", "code"))
    summary, formatter = Summary(codes), RowFormatter(codes)
    files = []
    if csv_path is not None:
        files.append(CsvReportFile(csv_path))
    if xlsx_path is not None:
        files.append(XlsxReportFile(xlsx_path))
    rows = exceptions = 0
    try:
        for order in reconciled_orders(scope, tolerance_rules(scope.channel_ids, tolerance)):
            row = formatter.row(order)
            is_exception = bool(order.reasons)
            for file in files:
                file.add(row, is_exception)
            summary.add(order)
            rows += 1
            if is_exception:
                exceptions += 1
                if on_exception is not None:
                    on_exception(order, row)
            if progress is not None and rows % PROGRESS_EVERY == 0:
                progress(rows)
        totals = summary.as_dict()
        sums = [file.close(totals) for file in files]
    except BaseException:
        for file in files:
            file.abort()
        raise
    if progress is not None:
        progress(rows)
    sha = dict(zip([type(f).__name__ for f in files], sums, strict=True))
    return ReportResult(
        rows,
        exceptions,
        totals,
        csv_sha256=sha.get("CsvReportFile", ""),
        xlsx_sha256=sha.get("XlsxReportFile", ""),
    )


# --------------------------------------------------------------------- requests


def request_report(
    *,
    channels,
    period_from,
    period_to,
    basis: str = PeriodBasis.ORDER_DATE,
    tolerance: Decimal | None = None,
    format: str = ReportFormat.BOTH,
    requested_by=None,
    daily_slot: str = "",
) -> ReconciliationReport:
    """Store a report request and its ``finance.reconcile`` job (published after commit).

    Refuses (``ReportError``) a request without channels or with a period that
    ends before it starts. A ``daily_slot`` already taken raises ``IntegrityError``.
    """
    channels = list(channels)
    if not channels:
        raise ReportError("choose at least one channel")
    if period_to < period_from:
        raise ReportError(f"the period ends ({period_to}) before it starts ({period_from})")
    with transaction.atomic():
        report = ReconciliationReport.objects.create(
            requested_by=requested_by,
            period_from=period_from,
            period_to=period_to,
            basis=basis,
            tolerance=tolerance,
            format=format,
            daily_slot=daily_slot,
        )
        report.channels.set(channels)
        open_transaction(
            kind=FINANCE_RECONCILE,
            partner=channels[0] if len(channels) == 1 else None,
            business_key=f"report {report.pk}",
            correlation_id=uuid.uuid4().hex,
            subject=report,
            message=f"reconciliation {report.period_from} to {report.period_to} requested",
        )
    return report


def make_daily_reports(channel_id: int) -> ReconciliationReport | None:
    """Yesterday's report of one channel, once per day, from ``SYNC_RECON_DAILY_HOUR`` on.

    Beat runs it hourly; the report's ``daily_slot`` (channel and day) is unique,
    so a second run the same day (or a second beat) makes nothing.
    """
    now = timezone.localtime()
    if now.hour < conf.daily_report_hour():
        return None
    channel = Partner.objects.get(pk=channel_id)
    yesterday = now.date() - timedelta(days=1)
    slot = f"{channel.code}:{yesterday.isoformat()}"
    if ReconciliationReport.objects.filter(daily_slot=slot).exists():
        return None
    try:
        return request_report(
            channels=[channel], period_from=yesterday, period_to=yesterday, daily_slot=slot
        )
    except IntegrityError:
        return None  # made by a concurrent run


@scheduled_job(
    FINANCE_REPORT_CLEANUP,
    every_seconds=6 * 3600,
    name="delete old reconciliation reports",
    description="Deletes reconciliation reports (rows and files) older than "
    "SYNC_REPORT_RETENTION_DAYS.",
)
def delete_old_reports() -> int:
    """Delete reports created more than ``SYNC_REPORT_RETENTION_DAYS`` ago, files first."""
    cutoff = timezone.now() - timedelta(days=conf.retention_days())
    deleted = 0
    for report in ReconciliationReport.objects.filter(created_at__lt=cutoff).iterator():
        for file in (report.csv_file, report.xlsx_file):
            if file:
                file.delete(save=False)
        report.delete()
        deleted += 1
    if deleted:
        logger.info("deleted %d reconciliation report(s) older than %s", deleted, cutoff)
    return deleted


# ------------------------------------------------------------------------ the job


@transaction_kind(
    FINANCE_RECONCILE,
    description="Reconciliation report (orders, ERP, shipments, invoices, settlements)",
    lane=Lane.BATCH,
    subject="finance.ReconciliationReport",
    retry=RetryDefaults(3, (60, 300)),
    schedule=Schedule(
        key=FINANCE_DAILY_REPORT,
        job=make_daily_reports,
        every_seconds=3600,
        name="yesterday's reconciliation report for {partner}",
        per_partner=PartnerKind.CHANNEL,
        description="Makes yesterday's reconciliation report of the channel once a day, "
        "from SYNC_RECON_DAILY_HOUR on.",
    ),
)
def make_report(tx: SyncTransaction) -> Outcome:
    """Write the report's files, exceptions, summary and checksums (again, on a retry)."""
    report = ReconciliationReport.objects.get(pk=tx.subject_id)
    result = run_report(report, lease=tx)
    return Outcome(
        message=f"{result.rows} orders, {result.exceptions} exceptions; ties out: "
        f"{'yes' if result.summary['ties_out'] else 'NO'}"
    )


def run_report(
    report: ReconciliationReport, *, lease: SyncTransaction | None = None
) -> ReportResult:
    """Make one stored report: its rows counted, written, and the row finished (or failed)."""
    scope = Scope(
        channel_ids=tuple(report.channels.values_list("pk", flat=True)),
        period_from=report.period_from,
        period_to=report.period_to,
        basis=report.basis,
        as_of=report.as_of,
    )
    report.exceptions.all().delete()  # a retry starts over
    report.start(count_orders(scope))
    folder = conf.reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"reconciliation-{report.pk}-{report.period_from}-{report.period_to}"
    csv_path = folder / f"{stem}.csv" if report.wants_csv else None
    xlsx_path = folder / f"{stem}.xlsx" if report.wants_xlsx else None
    pending: list[ReconciliationException] = []

    def keep_exception(order: ReconciledOrder, row: tuple) -> None:
        pending.append(_exception_of(report, order, row))
        if len(pending) >= EXCEPTIONS_PER_INSERT:
            ReconciliationException.objects.bulk_create(pending)
            pending.clear()

    def progress(rows_done: int) -> None:
        report.record_progress(rows_done)
        if lease is not None:
            _renew_lease(lease)

    try:
        result = write_report(
            scope,
            tolerance=report.tolerance,
            csv_path=csv_path,
            xlsx_path=xlsx_path,
            progress=progress,
            on_exception=keep_exception,
        )
        ReconciliationException.objects.bulk_create(pending)
    except Exception as exc:
        report.fail(f"{type(exc).__name__}: {exc}")
        raise
    report.csv_file.name = csv_path.name if csv_path else ""
    report.xlsx_file.name = xlsx_path.name if xlsx_path else ""
    report.csv_sha256, report.xlsx_sha256 = result.csv_sha256, result.xlsx_sha256
    report.finish(summary=result.summary, rows_done=result.rows)
    return result


def _exception_of(report, order: ReconciledOrder, row: tuple) -> ReconciliationException:
    f = order.facts
    return ReconciliationException(
        report=report,
        order_id=order.order_id,
        channel_id=order.channel_id,
        channel_order_number=order.channel_order_number,
        order_date=order.order_date,
        status=order.status,
        other_reasons=";".join(order.reasons[1:]),
        currency=f.currency,
        channel_total=f.channel_total,
        erp_value=f.erp_value,
        erp_difference=f.channel_total - erp_value_counted(f),
        shipped_value=order.shipped_value,
        invoiced_value=f.invoiced_value,
        settled_gross=f.settled_gross,
        settled_net=order.settled_net,
        operations_action=row[24],
        failed_transaction_id=order.failed_posting_id
        if ReconciliationStatus.NOT_IN_ERP in order.reasons
        else None,
    )


def _renew_lease(tx: SyncTransaction) -> None:
    """Keep the job's lease while it writes (a million orders take minutes; the sweeper
    would otherwise hand a live run to a second worker). A lease taken over by another
    worker stops this run."""
    renewed = SyncTransaction.objects.filter(pk=tx.pk, lease_token=tx.lease_token).update(
        lease_until=timezone.now() + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    )
    if not renewed:
        raise LeaseLost(f"transaction {tx.pk}'s lease was taken over by another worker")
