"""What the ERP sends us: pushed IDoc files (bytes, IDocs, replay) and invoices."""

from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html, format_html_join

from connectors.idoc import IdocError, iter_idocs, read_idoc
from syncplatform.audit.admin import SubjectTransactionsMixin, retry_in_admin, transaction_link

from ..models import InboundIdocFile, Invoice, InvoiceLine
from ..services import IDOC_FILES
from .base import DownloadMixin, ReadOnlyAdmin, ReadOnlyInline, control_table

SHOWN_BYTES = 2 * 1024 * 1024  # files larger than this are downloaded, not parsed on the page
SHOWN_IDOCS = 200


@admin.register(InboundIdocFile)
class InboundIdocFileAdmin(DownloadMixin, SubjectTransactionsMixin, ReadOnlyAdmin):
    """IDoc-XML the ERP pushed: the bytes, the IDocs in it, replay after a fix."""

    list_display = ("id", "erp", "file_name", "idoc_count", "state", "created_at", "tx_link")
    list_filter = ("state", "idoc_type", "erp", "created_at")
    search_fields = ("=sha256", "=correlation_id")
    exclude = ("content_gzip",)
    actions = ["replay_files"]
    list_select_related = ("erp", "transaction")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content_gzip").annotate(content_size=F("size"))

    def body(self, obj) -> bytes:
        with obj.open_body() as body:
            return body.read()

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in InboundIdocFile._meta.fields if f.name != "content_gzip"]
        return [*fields, "download", "idocs", "transactions"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_replay_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    @admin.display(description="transaction")
    def tx_link(self, obj):
        tx = obj.transaction
        return transaction_link(tx.pk, tx.state) if tx else "-"

    @admin.display(description="IDocs")
    def idocs(self, obj):
        if obj.content_size > SHOWN_BYTES:
            return f"{obj.content_size} bytes: too large to show here; download the file"
        rows = []
        try:
            for idoc in iter_idocs(obj.open_body()):
                if len(rows) == SHOWN_IDOCS:
                    break
                rows.append((idoc.control.docnum, idoc.control.idoc_type, _describe(idoc)))
        except IdocError as error:
            rows.append(("-", "-", f"unreadable: {error}"))
        return format_html(
            "<table><tr><th>DOCNUM</th><th>type</th><th>content</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.action(
        description="Replay failed files (after fixing the cause)", permissions=["replay"]
    )
    def replay_files(self, request, queryset):
        retry_in_admin(
            self,
            request,
            [(f.transaction_id, f.file_name) for f in queryset.exclude(transaction=None)],
            reason="replay of {label}",
            noun="file(s)",
        )


def _describe(idoc) -> str:
    declared = IDOC_FILES.get(idoc.control.idoc_type)
    if declared is None:
        return "no reader: not applied"
    try:
        return declared.describe(read_idoc(idoc, IDOC_FILES.readers()))
    except IdocError as error:
        return f"refused: {error}"


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ("item_number", "material", "quantity", "unit", "unit_price", "net_value")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "invoice_number",
        "order",
        "delivery_number",
        "total_due",
        "currency",
        "invoice_date",
        "docnum",
    )
    list_filter = ("erp", "invoice_date", "currency")
    search_fields = ("=invoice_number", "=docnum", "=sales_order_number", "=delivery_number")
    inlines = [InvoiceLineInline]
    list_select_related = ("order",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Invoice._meta.fields if f.name != "control"] + ["control_record"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="control record (EDI_DC40)")
    def control_record(self, invoice):
        return control_table(invoice.control)
