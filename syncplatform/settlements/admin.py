"""Settlements in the admin: upload a payout file, see imports and (finance) their lines.

The import page's Add is the upload form (channel + file): it calls
``import_settlements`` and lands on the import it made, or on the earlier
import of the same file. Operations may view imports (counts, refused rows)
but not the lines, which carry the amounts.
"""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

from .choices import ImportStatus
from .models import SettlementFormat, SettlementImport, SettlementLine
from .services import BadSettlementFile, import_settlements, match_settlement_lines

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a year of a busy shop's payouts is a few MB


def change_link(obj, label=None) -> str:
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


class UploadForm(forms.Form):
    channel = forms.ModelChoiceField(
        queryset=Partner.objects.filter(kind=PartnerKind.CHANNEL).order_by("code"),
        help_text="The channel whose payouts the file holds; its settlement format reads it"
        " (Shopify Payments' export when it has none).",
    )
    file = forms.FileField(help_text="The provider's payout transactions CSV, as downloaded.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size} bytes; at most {MAX_UPLOAD_BYTES} are taken."
            )
        return upload


@admin.register(SettlementImport)
class SettlementImportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "channel",
        "file_name",
        "status",
        "row_count",
        "accepted_count",
        "matched_count",
        "refused_count",
        "imported_by",
        "created_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("=file_name", "=sha256")
    list_select_related = ("channel", "imported_by")
    readonly_fields = (
        "channel",
        "file_name",
        "status",
        "file_format",
        "row_count",
        "accepted_count",
        "matched_count",
        "refused_count",
        "refused_rows",
        "lines_link",
        "imported_by",
        "created_at",
        "sha256",
        "size",
    )
    fields = readonly_fields
    actions = ["link_lines_to_orders"]

    def has_change_permission(self, request, obj=None):
        return False  # an import is a record of what happened; upload again to add

    def has_link_permission(self, request):
        return request.user.has_perm("settlements.add_settlementline")

    @admin.action(
        description="Link unmatched lines of these channels to orders that arrived since",
        permissions=["link"],
    )
    def link_lines_to_orders(self, request, queryset):
        channels = Partner.objects.filter(pk__in=queryset.values("channel_id")).order_by("code")
        for channel in channels:
            linked = match_settlement_lines(channel)
            self.message_user(request, f"{channel.code}: {linked} line(s) linked to orders.")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="refused rows")
    def refused_rows(self, obj):
        if not obj.refused:
            return "-"
        rows = format_html_join(
            "", "<li>line {}: refused: {}</li>", ((line, reason) for line, reason in obj.refused)
        )
        more = obj.refused_count - len(obj.refused)
        tail = format_html("<li>... and {} more</li>", more) if more > 0 else ""
        return format_html("<ul>{}{}</ul>", rows, tail)

    @admin.display(description="lines")
    def lines_link(self, obj):
        if obj.status != ImportStatus.IMPORTED:
            return "none (nothing of a refused file is imported)"
        url = reverse("admin:settlements_settlementline_changelist")
        return format_html(
            '<a href="{}?settlement_import__id__exact={}">{} lines</a>',
            url,
            obj.pk,
            obj.accepted_count,
        )

    def add_view(self, request, form_url="", extra_context=None):
        """The upload form; importing is one service call."""
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)  # answers 403
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            return self._import(request, form.cleaned_data["channel"], form.cleaned_data["file"])
        return TemplateResponse(
            request,
            "admin/settlements/settlementimport/upload.html",
            {
                **self.admin_site.each_context(request),
                "title": "Upload a payout file",
                "opts": self.model._meta,
                "form": form,
                "media": self.media + form.media,
            },
        )

    def _import(self, request, channel, upload):
        try:
            report = import_settlements(channel, upload, upload.name, user=request.user)
        except BadSettlementFile as exc:
            self.message_user(request, f"{upload.name}: {exc}", messages.ERROR)
            return redirect("admin:settlements_settlementimport_add")
        if report.duplicate_of:
            earlier = report.duplicate_of
            self.message_user(
                request,
                f"{upload.name} was already imported on {earlier.created_at:%Y-%m-%d %H:%M}"
                f" (import #{earlier.pk}); nothing changed.",
                messages.WARNING,
            )
            return redirect("admin:settlements_settlementimport_change", earlier.pk)
        record = report.settlement_import
        if report.is_refused:
            self.message_user(
                request,
                f"{upload.name}: {report.refused_count} row(s) refused, so nothing was imported;"
                " the reasons are listed below. Fix them and upload the whole file again.",
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                f"{upload.name}: {report.accepted} lines imported, {report.matched} matched to"
                " orders.",
                messages.SUCCESS,
            )
        return redirect("admin:settlements_settlementimport_change", record.pk)


@admin.register(SettlementLine)
class SettlementLineAdmin(admin.ModelAdmin):
    list_display = (
        "settlement_import",
        "line_number",
        "channel",
        "order_reference",
        "order_link",
        "kind",
        "gross",
        "fee",
        "net",
        "currency",
        "payout_date",
        "payout_id",
    )
    list_filter = ("kind", "currency", "channel")
    search_fields = ("=order_reference", "=payout_id")
    date_hierarchy = "payout_date"
    list_select_related = ("settlement_import", "channel", "order")
    readonly_fields = [
        "settlement_import",
        "line_number",
        "channel",
        "order_reference",
        "order_link",
        "kind",
        "provider_type",
        "gross",
        "fee",
        "net",
        "currency",
        "payout_date",
        "payout_id",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # lines come from files only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="order", ordering="order")
    def order_link(self, line):
        return change_link(line.order) if line.order_id else "-"


@admin.register(SettlementFormat)
class SettlementFormatAdmin(admin.ModelAdmin):
    list_display = ("channel", "name", "order_reference_column", "gross_column", "updated_at")
    fieldsets = (
        (None, {"fields": ("channel", "name")}),
        (
            "Columns (header text as in the file)",
            {
                "fields": (
                    "order_reference_column",
                    "gross_column",
                    "fee_column",
                    "net_column",
                    "currency_column",
                    "default_currency",
                    "payout_date_column",
                    "payout_id_column",
                    "kind_column",
                )
            },
        ),
        ("How values are written", {"fields": ("date_format", "decimal_separator", "delimiter")}),
    )
