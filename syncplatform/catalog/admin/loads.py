"""Catalog loads: progress (rows done of total, rate, ETA), running jobs, refused rows as CSV.

Loads are written by the load service only; every page here is read-only.
"""

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from ..choices import UNFINISHED_LOAD_STATUSES
from ..models import CatalogLoad, RefusedRow
from ..services.loads import resume_load
from .sources import RUN_PERMISSION

REFUSED_COLUMNS = ("position", "docnum", "key", "segment", "field", "reason", "line")


def progress_bar(load: CatalogLoad) -> str:
    return format_html(
        '<progress value="{}" max="{}" style="width:12em"></progress> {}% '
        '<span class="catalog-progress">{} of {}</span>',
        load.position,
        max(load.total, 1),
        load.percent_done,
        load.position,
        load.total,
    )


def rate_text(load: CatalogLoad) -> str:
    rate = load.rate()
    if not rate:
        return "-"
    # A slow load (a few IDocs a second) would otherwise read "0 IDocs/s" beside its ETA.
    return f"{rate:,.0f} IDocs/s" if rate >= 10 else f"{rate:.1f} IDocs/s"


def eta_text(load: CatalogLoad) -> str:
    eta = load.eta_seconds()
    if eta is None:
        return "-"
    minutes, seconds = divmod(int(eta), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class _Echo:
    def write(self, value):
        return value


@admin.register(CatalogLoad)
class CatalogLoadAdmin(admin.ModelAdmin):
    list_display = ("id", "file_name", "source", "status", "progress", "rate", "created_at")
    list_filter = ("status", "source", "origin")
    search_fields = ("file_name", "sha256")
    list_select_related = ("source",)
    change_form_template = "admin/catalog/catalogload/change_form.html"
    change_list_template = "admin/catalog/catalogload/change_list.html"
    fields = (
        "source",
        "file_name",
        "origin",
        "status",
        "progress",
        "rate",
        "eta",
        "counts",
        "error_code",
        "error_message",
        "sha256",
        "size",
        "duplicate_of",
        "transaction",
        "refused",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    actions = ["resume_now"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(RUN_PERMISSION):
            actions.pop("resume_now", None)
        return actions

    @admin.action(description="Run now: queue the next chunk of an unfinished load")
    def resume_now(self, request, queryset):
        queued = [load.pk for load in queryset if resume_load(load)]
        self.message_user(
            request,
            f"queued the next chunk of {len(queued)} unfinished load(s)"
            if queued
            else "nothing to queue: the chosen loads are finished",
            messages.SUCCESS if queued else messages.WARNING,
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, obj):
        return progress_bar(obj)

    @admin.display(description="rate")
    def rate(self, obj):
        return rate_text(obj)

    @admin.display(description="ETA")
    def eta(self, obj):
        return eta_text(obj)

    @admin.display(description="summary")
    def counts(self, obj):
        return obj.summary()

    @admin.display(description="refused rows")
    def refused(self, obj):
        if not obj.refused_count:
            return "none"
        url = reverse("admin:catalog_catalogload_refused", args=[obj.pk])
        return format_html('{} — <a href="{}">download as CSV</a>', obj.refused_count, url)

    def get_urls(self):
        return [
            path(
                "running/",
                self.admin_site.admin_view(self.running_view),
                name="catalog_catalogload_running",
            ),
            path(
                "<int:pk>/refused.csv",
                self.admin_site.admin_view(self.refused_view),
                name="catalog_catalogload_refused",
            ),
            *super().get_urls(),
        ]

    def running_view(self, request):
        """Every queued or running load, with its progress bar (the page refreshes itself)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        loads = CatalogLoad.objects.filter(status__in=UNFINISHED_LOAD_STATUSES).select_related(
            "source"
        )
        rows = [(load, progress_bar(load), rate_text(load), eta_text(load)) for load in loads]
        context = {
            **self.admin_site.each_context(request),
            "title": "Running catalog loads",
            "opts": self.model._meta,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/catalog/catalogload/running.html", context)

    def refused_view(self, request, pk):
        """The load's refused rows as CSV, streamed (a bad feed may refuse a million rows)."""
        load = get_object_or_404(CatalogLoad, pk=pk)
        if not self.has_view_permission(request, load):
            raise PermissionDenied
        rows = (
            RefusedRow.objects.filter(load=load)
            .order_by("position", "id")
            .values_list(*REFUSED_COLUMNS)
            .iterator(chunk_size=2000)
        )
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in _with_header(rows))
        response = StreamingHttpResponse(lines, content_type="text/csv")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"load-{load.pk}-refused.csv"
        )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        load = CatalogLoad.objects.filter(pk=object_id).first()
        if load is not None:
            extra_context["is_running"] = not load.is_finished
            extra_context["first_refused"] = load.refused_rows.order_by("position", "id")[:20]
        return super().change_view(request, object_id, form_url, extra_context)


def _with_header(rows):
    yield REFUSED_COLUMNS
    yield from rows
