from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models.functions import Length
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header

from connectors.edi.envelope import read_interchanges
from connectors.edi.errors import EnvelopeError
from connectors.edi.group_reader import read_set
from connectors.edi.tokenizer import decode, split_interchanges
from syncplatform.audit.admin import SubjectTransactionsMixin, retry_in_admin, transaction_link
from syncplatform.partners.admin import KeepSecretFormMixin

from .models import (
    Interchange,
    Shipment,
    ShipmentLine,
    ShippingOrder,
    StockPosition,
    WarehouseConfig,
)
from .services import X12_FILES, ensure_warehouse_schedules
from .services.corrections import (
    NotReplaceable,
    check_upload_size,
    failed_inbound_transaction,
    replace_inbound_file,
)

# What an interchange's page reads and shows at most: larger files are downloaded.
SHOWN_BYTES = 5 * 1024 * 1024
SEGMENTS_PER_PAGE = 500


class WarehouseConfigForm(KeepSecretFormMixin, forms.ModelForm):
    secret_fields = ("sftp_password", "sftp_private_key")

    class Meta:
        model = WarehouseConfig
        exclude: list[str] = []


@admin.register(WarehouseConfig)
class WarehouseConfigAdmin(admin.ModelAdmin):
    """A 3PL's SFTP and EDI settings; saving creates its send and poll schedules."""

    form = WarehouseConfigForm
    list_display = (
        "partner",
        "sftp_host",
        "sftp_port",
        "x12_version",
        "expects_997",
        "ack_due_minutes",
    )
    fieldsets = [
        (None, {"fields": ["partner"]}),
        (
            "SFTP",
            {
                "fields": [
                    "sftp_host",
                    "sftp_port",
                    "sftp_username",
                    "sftp_password",
                    "sftp_private_key",
                    "sftp_known_hosts",
                    "settle_seconds",
                ]
            },
        ),
        (
            "Folders",
            {
                "fields": [
                    "outbound_folder",
                    "inbound_folder",
                    "archive_folder",
                    "error_folder",
                    "inbound_pattern",
                ]
            },
        ),
        (
            "X12",
            {
                "fields": [
                    "our_isa_qualifier",
                    "our_isa_id",
                    "our_gs_id",
                    "their_isa_qualifier",
                    "their_isa_id",
                    "their_gs_id",
                    "x12_version",
                    "usage_indicator",
                    "expects_997",
                    "ack_due_minutes",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ensure_warehouse_schedules(obj.partner)


@admin.register(Interchange)
class InterchangeAdmin(SubjectTransactionsMixin, admin.ModelAdmin):
    """Every X12 file in and out: download the raw bytes, read its segments, replay it.

    Neither the list nor the page loads a file's bytes unless it is small enough
    to show (``SHOWN_BYTES``); the segments are shown a page at a time.
    """

    list_display = (
        "id",
        "direction",
        "partner",
        "file_name",
        "set_summary",
        "state",
        "ack_state",
        "ack_due_by",
        "created_at",
        "transaction_link",
    )
    list_filter = ("direction", "state", "ack_state", "partner", "created_at")
    search_fields = ("file_name", "isa_control_number", "sha256")
    date_hierarchy = "created_at"
    actions = ["replay_files"]
    exclude = ("content",)
    list_select_related = ("partner", "transaction")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("content").annotate(content_size=Length("content"))
        )

    def get_readonly_fields(self, request, obj=None):
        replace = ["replace_file"] if obj and self._may_replace(request, obj) else []
        return [
            *replace,
            *(f.name for f in Interchange._meta.fields if f.name != "content"),
            "download",
            "parsed_sets",
            "segments",
            "transaction_link",
            "transactions",
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # View-only, with no Save row, for superusers too; actions and links still work.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_replay_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="fulfillment_interchange_download",
            ),
            path(
                "<int:pk>/segments/",
                self.admin_site.admin_view(self.segments_view),
                name="fulfillment_interchange_segments",
            ),
            path(
                "<int:pk>/replace/",
                self.admin_site.admin_view(self.replace_view),
                name="fulfillment_interchange_replace",
            ),
            *super().get_urls(),
        ]

    def _viewable(self, request, pk) -> Interchange:
        interchange = get_object_or_404(self.get_queryset(request), pk=pk)
        # admin_view only checks is_staff; raw files carry customer addresses.
        if not self.has_view_permission(request, interchange):
            raise PermissionDenied
        return interchange

    # --- edit and replay: a corrected upload (services/corrections.py) --------------------
    def _may_replace(self, request, interchange) -> bool:
        return self.has_replay_permission(request) and (
            failed_inbound_transaction(interchange) is not None
        )

    @admin.display(description="corrected file")
    def replace_file(self, interchange):
        url = reverse("admin:fulfillment_interchange_replace", args=[interchange.pk])
        return format_html(
            '<a class="button" href="{}">Replace with a corrected file and replay</a>'
            '<div class="help">It failed. The original stays in its history.</div>',
            url,
        )

    def replace_view(self, request, pk):
        """The upload form (GET) and replacing then replaying (POST)."""
        interchange = get_object_or_404(Interchange.objects.select_related("transaction"), pk=pk)
        if not self.has_replay_permission(request):
            raise PermissionDenied
        tx = failed_inbound_transaction(interchange)
        if tx is None:
            self.message_user(
                request, "Only a received file that failed can be replaced.", messages.ERROR
            )
            return redirect("admin:fulfillment_interchange_change", interchange.pk)
        form = CorrectedFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_upload_size(upload.size)
                note = replace_inbound_file(
                    interchange.pk,
                    upload.read(),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except NotReplaceable as refused:
                form.add_error("file", str(refused))
            else:
                self.message_user(request, f"{note}; the file is replayed.", messages.SUCCESS)
                return redirect("admin:fulfillment_interchange_change", interchange.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": interchange,
            "transaction": tx,
            "form": form,
            "title": f"Replace {interchange.file_name} with a corrected file",
        }
        return TemplateResponse(request, "admin/fulfillment/interchange_replace.html", context)

    def download_view(self, request, pk):
        interchange = self._viewable(request, pk)
        response = HttpResponse(bytes(interchange.content), content_type="application/edi-x12")
        # Quoted and escaped, with an RFC 5987 form for non-ASCII names.
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=interchange.file_name
        )
        return response

    def segments_view(self, request, pk):
        """One page of a file's segments, for files too long for their change page."""
        interchange = self._viewable(request, pk)
        page = Paginator(_segment_lines(interchange), SEGMENTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        return TemplateResponse(
            request,
            "admin/fulfillment/interchange_segments.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Segments of {interchange.file_name}",
                "opts": self.model._meta,
                "interchange": interchange,
                "page": page,
            },
        )

    @admin.display(description="raw file")
    def download(self, obj):
        url = reverse("admin:fulfillment_interchange_download", args=[obj.pk])
        return format_html(
            '<a href="{}">download {} ({} bytes)</a>', url, obj.file_name, obj.content_size
        )

    @admin.display(description="parsed sets")
    def parsed_sets(self, obj):
        if obj.content_size > SHOWN_BYTES:
            return _too_large(obj)
        try:
            parsed = read_interchanges(bytes(obj.content))
        except EnvelopeError as error:
            return format_html("<strong>unreadable:</strong> {}", str(error))
        readers = X12_FILES.readers()
        rows = [
            (ts.code, ts.control_number, _describe(read_set(ts, readers)))
            for interchange in parsed
            for group in interchange.groups
            for ts in group.transaction_sets[:200]
        ]
        return format_html(
            "<table><tr><th>set</th><th>ST02</th><th>content</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows[:200]),
        )

    @admin.display(description="segments")
    def segments(self, obj):
        if obj.content_size > SHOWN_BYTES:
            return _too_large(obj)
        lines = _segment_lines(obj)
        shown = "\n".join(lines[:SEGMENTS_PER_PAGE])
        more = ""
        if len(lines) > SEGMENTS_PER_PAGE:
            url = reverse("admin:fulfillment_interchange_segments", args=[obj.pk])
            more = format_html(
                '<p>{} of {} segments shown; <a href="{}?page=2">next page</a></p>',
                SEGMENTS_PER_PAGE,
                len(lines),
                url,
            )
        return format_html("<pre style='max-height:30em;overflow:auto'>{}</pre>{}", shown, more)

    @admin.display(description="sets")
    def set_summary(self, obj):
        counts: dict[str, int] = {}
        for code in obj.set_types:
            counts[code] = counts.get(code, 0) + 1
        return ", ".join(f"{n} x {code}" for code, n in sorted(counts.items())) or "-"

    @admin.display(description="transaction")
    def transaction_link(self, obj):
        if obj.transaction_id is None:
            return "-"
        return transaction_link(obj.transaction_id, obj.transaction.state)

    @admin.action(
        description="Replay failed files (after fixing the cause)", permissions=["replay"]
    )
    def replay_files(self, request, queryset):
        retry_in_admin(
            self,
            request,
            [
                (interchange.transaction_id, interchange.file_name)
                for interchange in queryset.exclude(transaction=None).order_by("pk")
            ],
            reason="replay of {label}",
            noun="file(s)",
        )


class CorrectedFileForm(forms.Form):
    file = forms.FileField(
        help_text="The corrected X12 file, as the warehouse should have sent it."
    )
    reason = forms.CharField(
        required=False, max_length=200, help_text="Optional: why, for the history."
    )


def _too_large(obj) -> str:
    url = reverse("admin:fulfillment_interchange_download", args=[obj.pk])
    return format_html(
        '{} bytes: too large to show here; <a href="{}">download the file</a>',
        obj.content_size,
        url,
    )


def _segment_lines(obj) -> list[str]:
    """The file's segments, one per line, split by its own delimiters (read from its ISA).

    A file whose envelope cannot be read is shown as its first bytes, as they are.
    """
    text = decode(bytes(obj.content))
    try:
        return [
            line
            for interchange in split_interchanges(text)
            for line in (
                interchange.delimiters.element.join(interchange.isa),
                *interchange.segments,
            )
        ]
    except EnvelopeError as error:
        return [f"(unreadable: {error})", text[: 64 * 1024]]


def _describe(result) -> str:
    """One line an operator can read for a parsed set (or why it was rejected)."""
    if result.error is not None:
        return f"rejected: {result.error}"
    declared = X12_FILES.get(result.transaction_set.code)
    return declared.describe(result.document) if declared else "read"


@admin.register(ShippingOrder)
class ShippingOrderAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "warehouse",
        "status",
        "interchange",
        "set_control_number",
        "created_at",
    )
    list_filter = ("status", ("interchange__partner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("order", "interchange__partner")
    search_fields = ("order__channel_order_number", "interchange__file_name")
    readonly_fields = ("order", "warehouse", "interchange", "set_control_number", "status")

    @admin.display(ordering="interchange__partner")
    def warehouse(self, shipping_order):
        return shipping_order.warehouse

    def has_add_permission(self, request):
        return False


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    readonly_fields = ("order_line", "quantity_ordered", "quantity_shipped")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = (
        "shipping_order",
        "warehouse_shipment_id",
        "ship_date",
        "carrier_scac",
        "is_short",
        "created_at",
    )
    list_filter = ("is_short", "ship_date", "carrier_scac")
    search_fields = (
        "warehouse_shipment_id",
        "shipping_order__order__channel_order_number",
        "tracking_numbers",
    )
    inlines = [ShipmentLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Shipment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(StockPosition)
class StockPositionAdmin(admin.ModelAdmin):
    list_display = (
        "warehouse",
        "material",
        "channel_skus",
        "quantity_on_hand",
        "quantity_available",
        "unit",
        "as_of",
    )
    list_filter = ("warehouse",)
    search_fields = ("material", "channel_skus")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in StockPosition._meta.fields]

    def has_add_permission(self, request):
        return False
