"""Pieces every page of this app's admin shares: read-only bases, links, downloads."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def change_link(obj, label=None) -> str:
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


def control_table(control: dict) -> str:
    return format_html(
        "<table>{}</table>",
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", control.items()),
    )


class DownloadMixin:
    """A ``download/`` URL for the row's stored bytes (``body(obj)``), for viewers only."""

    content_type = "application/xml"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name=f"{opts.app_label}_{opts.model_name}_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        obj = get_object_or_404(self.model, pk=pk)
        # admin_view only checks is_staff; IDocs carry addresses and amounts.
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        response = HttpResponse(self.body(obj), content_type=self.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=obj.file_name
        )
        return response

    def body(self, obj) -> bytes:
        return bytes(obj.content)

    @admin.display(description="bytes")
    def download(self, obj):
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_download", args=[obj.pk])
        return format_html(
            '<a href="{}">download {} ({} bytes)</a>', url, obj.file_name, obj.content_size
        )
