from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from connectors.edi.ack997 import FunctionalAck
from connectors.edi.envelope import read_interchanges
from connectors.edi.errors import EnvelopeError
from connectors.edi.group_reader import read_set
from connectors.edi.w846 import InventoryAdvice
from connectors.edi.w940 import ShippingOrder as ShippingOrderDocument
from connectors.edi.w945 import ShippingAdvice
from syncplatform.audit.models import InvalidTransition
from syncplatform.audit.services import replay_transaction
from syncplatform.partners.admin import KeepSecretFormMixin

from .models import (
    Interchange,
    Shipment,
    ShipmentLine,
    ShippingOrder,
    StockPosition,
    WarehouseConfig,
)
from .services import ensure_warehouse_schedules


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
class InterchangeAdmin(admin.ModelAdmin):
    """Every X12 file in and out: download the raw bytes, read its segments, replay it."""

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

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Interchange._meta.fields if f.name != "content"] + [
            "download",
            "parsed_sets",
            "segments",
            "transaction_link",
        ]

    def has_add_permission(self, request):
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
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        interchange = get_object_or_404(Interchange, pk=pk)
        # admin_view only checks is_staff; raw files carry customer addresses.
        if not self.has_view_permission(request, interchange):
            raise PermissionDenied
        response = HttpResponse(bytes(interchange.content), content_type="application/edi-x12")
        response["Content-Disposition"] = f'attachment; filename="{interchange.file_name}"'
        return response

    @admin.display(description="raw file")
    def download(self, obj):
        url = reverse("admin:fulfillment_interchange_download", args=[obj.pk])
        return format_html(
            '<a href="{}">download {} ({} bytes)</a>', url, obj.file_name, len(obj.content)
        )

    @admin.display(description="parsed sets")
    def parsed_sets(self, obj):
        try:
            parsed = read_interchanges(bytes(obj.content))
        except EnvelopeError as error:
            return format_html("<strong>unreadable:</strong> {}", str(error))
        rows = [
            (ts.code, ts.control_number, _describe(read_set(ts)))
            for interchange in parsed
            for group in interchange.groups
            for ts in group.transaction_sets
        ]
        return format_html(
            "<table><tr><th>set</th><th>ST02</th><th>content</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows[:200]),
        )

    @admin.display(description="segments")
    def segments(self, obj):
        text = bytes(obj.content).decode("utf-8", errors="replace")
        terminator = text[105] if text.startswith("ISA") and len(text) > 105 else "~"
        lines = [s.strip() for s in text.split(terminator) if s.strip()]
        shown = "\n".join(lines[:500]) + ("\n…" if len(lines) > 500 else "")
        return format_html("<pre style='max-height:30em;overflow:auto'>{}</pre>", shown)

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
        url = reverse("admin:audit_synctransaction_change", args=[obj.transaction_id])
        return format_html(
            '<a href="{}">#{} {}</a>', url, obj.transaction_id, obj.transaction.state
        )

    @admin.action(
        description="Replay failed files (after fixing the cause)", permissions=["replay"]
    )
    def replay_files(self, request, queryset):
        done, skipped = 0, []
        for interchange in queryset.exclude(transaction=None).order_by("pk"):
            try:
                replay_transaction(
                    interchange.transaction_id,
                    actor=request.user,
                    reason=f"replay of {interchange.file_name}",
                )
                done += 1
            except InvalidTransition:
                skipped.append(interchange.file_name)
        self.message_user(request, f"{done} file(s) queued for replay", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, "not failed, skipped: " + ", ".join(skipped), messages.WARNING
            )


def _describe(result) -> str:
    """One line an operator can read for a parsed set (or why it was rejected)."""
    document = result.document
    if result.error is not None:
        return f"rejected: {result.error}"
    if isinstance(document, ShippingAdvice):
        return (
            f"945: depositor order {document.depositor_order_number}, shipment "
            f"{document.shipment_id or '-'}, {len(document.lines)} line(s), "
            f"shipped {document.shipped_on}"
        )
    if isinstance(document, ShippingOrderDocument):
        return (
            f"940: depositor order {document.depositor_order_number}, PO "
            f"{document.purchase_order_number or '-'}, {len(document.lines)} line(s)"
        )
    if isinstance(document, InventoryAdvice):
        return (
            f"846: report {document.report_number} of {document.reported_on}, "
            f"{len(document.items)} item(s)"
        )
    if isinstance(document, FunctionalAck):
        return (
            f"997: group {document.group_control_number} ({document.functional_id}) "
            f"{document.status}, {document.sets_accepted}/{document.sets_included} "
            "set(s) accepted"
        )
    return "read"


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
