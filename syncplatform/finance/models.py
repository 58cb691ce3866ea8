"""Reconciliation reports, their exceptions, and the tolerances they are judged by."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone

from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from . import conf
from .choices import PeriodBasis, ReconciliationStatus, ReportFormat, ReportStatus

MONEY = {"max_digits": 16, "decimal_places": 2}
CHANNEL = {"kind": PartnerKind.CHANNEL}


class ReportStorage(FileSystemStorage):
    """Files under ``SYNC_REPORTS_DIR``, read on every use (Django builds a field's storage
    once, at import; the setting may change after that, as tests and operators do)."""

    @property
    def base_location(self):
        return str(conf.reports_dir())

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def report_storage() -> FileSystemStorage:
    """Report files live on disk under ``SYNC_REPORTS_DIR``, not in the database: a million
    orders make a CSV of ~250 MB, which a download then streams from the file instead of
    loading a column into memory, and the retention job deletes without a VACUUM."""
    return ReportStorage()


class Tolerance(models.Model):
    """How far a channel's orders in one currency may differ and still match, and by
    when they should be settled. Without a row the settings' defaults apply."""

    channel = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", limit_choices_to=CHANNEL
    )
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD.")
    amount = models.DecimalField(
        **MONEY, help_text="Largest difference (in the currency) that still counts as matched."
    )
    settlement_days = models.PositiveIntegerField(
        default=14, help_text="An unsettled order older than this is not_settled_after_n_days."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "currency"], name="uniq_tolerance")
        ]

    def __str__(self):
        return f"{self.channel} {self.currency}: {self.amount}"


class ReconciliationReport(TimeStampedModel):
    """One reconciliation run: who asked, for what, how far it got, and its files.

    Made by ``services.request_report`` and filled by the ``finance.reconcile``
    transaction (a batch-lane job), which writes ``rows_done`` as it goes. A
    daily report carries ``daily_slot`` (channel and day), unique, so beat
    firing twice makes it once.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channels = models.ManyToManyField(
        "partners.Partner", related_name="+", limit_choices_to=CHANNEL
    )
    period_from = models.DateField()
    period_to = models.DateField(help_text="Inclusive.")
    basis = models.CharField(
        max_length=20, choices=PeriodBasis.choices, default=PeriodBasis.ORDER_DATE
    )
    tolerance = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Overrides every channel's tolerance for this report; blank uses them.",
    )
    format = models.CharField(
        max_length=10, choices=ReportFormat.choices, default=ReportFormat.BOTH
    )
    as_of = models.DateField(default=timezone.localdate, help_text="Settlement ages count to here.")
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED, editable=False
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True, editable=False)
    rows_done = models.PositiveIntegerField(default=0, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True, editable=False)
    summary = models.JSONField(default=dict, blank=True, editable=False)
    csv_file = models.FileField(storage=report_storage, blank=True, editable=False)
    csv_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    xlsx_file = models.FileField(storage=report_storage, blank=True, editable=False)
    xlsx_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    daily_slot = models.CharField(max_length=120, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("download_reconciliationreport", "Can download reconciliation report files"),
            ("view_settlement_amounts", "Can see settlement amounts"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["daily_slot"],
                condition=~models.Q(daily_slot=""),
                name="uniq_daily_report_slot",
            )
        ]

    def __str__(self):
        return f"reconciliation {self.pk}: {self.period_from} to {self.period_to}"

    @property
    def wants_csv(self) -> bool:
        return self.format in (ReportFormat.BOTH, ReportFormat.CSV)

    @property
    def wants_xlsx(self) -> bool:
        return self.format in (ReportFormat.BOTH, ReportFormat.XLSX)

    # --- transitions ---------------------------------------------------------
    def start(self, rows_total: int) -> None:
        self.status, self.rows_total, self.rows_done = ReportStatus.RUNNING, rows_total, 0
        self.started_at, self.error = timezone.now(), ""
        self.save(
            update_fields=["status", "rows_total", "rows_done", "started_at", "error", "updated_at"]
        )

    def record_progress(self, rows_done: int) -> None:
        type(self).objects.filter(pk=self.pk).update(rows_done=rows_done, updated_at=timezone.now())
        self.rows_done = rows_done

    def finish(self, *, summary: dict, rows_done: int) -> None:
        self.status, self.summary, self.rows_done = ReportStatus.DONE, summary, rows_done
        self.finished_at = timezone.now()
        self.save()

    def fail(self, message: str) -> None:
        self.status, self.error, self.finished_at = ReportStatus.FAILED, message, timezone.now()
        self.save(update_fields=["status", "error", "finished_at", "updated_at"])


class ReconciliationException(models.Model):
    """One order a report found an exception on, kept so operations can work the list
    in the admin (filter by reason, open the order) without downloading the files."""

    report = models.ForeignKey(
        ReconciliationReport, on_delete=models.CASCADE, related_name="exceptions"
    )
    order_id = models.BigIntegerField(help_text="The order (its admin page has its transactions).")
    channel = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    channel_order_number = models.CharField(max_length=80)
    order_date = models.DateField()
    status = models.CharField(max_length=40, choices=ReconciliationStatus.choices)
    other_reasons = models.CharField(max_length=400, blank=True)
    currency = models.CharField(max_length=3)
    channel_total = models.DecimalField(**MONEY)
    erp_value = models.DecimalField(max_digits=28, decimal_places=6, null=True, blank=True)
    erp_difference = models.DecimalField(max_digits=28, decimal_places=6)
    shipped_value = models.DecimalField(**MONEY)
    invoiced_value = models.DecimalField(**MONEY)
    settled_gross = models.DecimalField(**MONEY)
    settled_net = models.DecimalField(**MONEY)
    operations_action = models.CharField(max_length=300, blank=True)
    failed_transaction_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["report_id", "order_id"]
        indexes = [models.Index(fields=["report", "status"], name="recon_exception_status_idx")]

    def __str__(self):
        return f"{self.channel_order_number}: {self.status}"
