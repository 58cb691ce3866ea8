"""Requesting a report, following its progress, reading its tie-out, downloading its files."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

from ..choices import ReportStatus
from ..models import ReconciliationReport, Tolerance
from ..services import request_report
from ..services.summary import SETTLEMENT_SUMS, SUMS, shown_summary

DOWNLOAD = "finance.download_reconciliationreport"
SETTLEMENT_AMOUNTS = "finance.view_settlement_amounts"


@admin.register(Tolerance)
class ToleranceAdmin(admin.ModelAdmin):
    list_display = ("channel", "currency", "amount", "settlement_days")
    list_filter = ("channel",)


class ReportRequestForm(forms.ModelForm):
    channels = forms.ModelMultipleChoiceField(
        queryset=Partner.objects.filter(kind=PartnerKind.CHANNEL).order_by("code")
    )

    class Meta:
        model = ReconciliationReport
        fields = ("channels", "period_from", "period_to", "basis", "tolerance", "format")

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        return data


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(admin.ModelAdmin):
    """Finance asks for a report here (add), follows it (its page) and downloads it.

    A report is never edited: its page is read-only (reload it to follow the
    progress), and the request goes through ``services.request_report`` (the job
    is queued when it commits). Files and settlement sums show only to users
    with the permissions for them."""

    form = ReportRequestForm
    list_display = ("id", "period", "channel_list", "basis", "status", "progress", "requested_by",
                    "created_at")  # fmt: skip
    list_filter = ("status", "basis", "channels")
    readonly_fields = (
        "period", "channel_list", "basis", "tolerance", "format", "as_of", "status", "progress",
        "requested_by", "created_at", "finished_at", "error", "exception_list",
    )  # fmt: skip

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ReportRequestForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        if not request.user.has_perm(DOWNLOAD):
            return self.list_display

        @admin.display(description="files")
        def files(report):
            links = [(url, kind) for kind, url, _ in _files(report)]
            return format_html_join(" ", '<a href="{}">{}</a>', links) or "-"

        return (*self.list_display, files)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        report = request_report(
            channels=data["channels"],
            period_from=data["period_from"],
            period_to=data["period_to"],
            basis=data["basis"],
            tolerance=data["tolerance"],
            format=data["format"],
            requested_by=request.user,
        )
        obj.pk = report.pk  # the admin goes on to its page

    def save_related(self, request, form, formsets, change):
        """The channels were set by ``request_report``."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if report is not None:
            if request.user.has_perm(DOWNLOAD):
                extra["report_files"] = _files(report)
            extra.update(_summary_context(report, request.user.has_perm(SETTLEMENT_AMOUNTS)))
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        download = path(
            "<int:pk>/download/<str:kind>/",
            self.admin_site.admin_view(self.download_view),
            name="finance_reconciliationreport_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, pk: int, kind: str):
        if not request.user.has_perm(DOWNLOAD):
            raise PermissionDenied("downloading reports needs finance's permission")
        report = get_object_or_404(ReconciliationReport, pk=pk)
        file = {"csv": report.csv_file, "xlsx": report.xlsx_file}.get(kind)
        if not file or report.status != ReportStatus.DONE:
            raise Http404(f"report {pk} has no {kind} file")
        return FileResponse(file.open("rb"), as_attachment=True, filename=file.name)

    # --- columns ---------------------------------------------------------
    @admin.display(description="period")
    def period(self, report):
        return f"{report.period_from} to {report.period_to}"

    @admin.display(description="channels")
    def channel_list(self, report):
        return ", ".join(c.code for c in report.channels.all())

    @admin.display(description="progress")
    def progress(self, report):
        if report.rows_total is None:
            return "waiting for a batch worker"
        share = 100 * report.rows_done // report.rows_total if report.rows_total else 100
        return f"{report.rows_done:,} of {report.rows_total:,} orders ({share} %)"

    @admin.display(description="exceptions")
    def exception_list(self, report):
        url = reverse("admin:finance_reconciliationexception_changelist")
        return format_html(
            '<a href="{}?report__id__exact={}">{} exception(s)</a>',
            url,
            report.pk,
            report.exceptions.count(),
        )


def _files(report) -> list[tuple[str, str, str]]:
    """``(kind, download URL, sha256)`` of a finished report's files."""
    if report.status != ReportStatus.DONE:
        return []
    return [
        (kind, reverse("admin:finance_reconciliationreport_download", args=[report.pk, kind]), sha)
        for kind, file, sha in (
            ("csv", report.csv_file, report.csv_sha256),
            ("xlsx", report.xlsx_file, report.xlsx_sha256),
        )
        if file
    ]


def _summary_context(report, show_settlements: bool) -> dict:
    if not report.summary:
        return {}
    shown = [s for s in SUMS if show_settlements or s not in SETTLEMENT_SUMS]
    groups = []
    for group in shown_summary(report.summary)["groups"]:
        lines = [*group["statuses"].items(), ("total", group["totals"])]
        rows = [(status, sums["orders"], [sums[name] for name in shown]) for status, sums in lines]
        groups.append({**group, "rows": rows})
    return {
        "summary_groups": groups,
        "summary_columns": shown,
        "ties_out": report.summary["ties_out"],
    }
