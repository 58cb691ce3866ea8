"""The operations console for IDocs: configs, packages and their IDocs, postings, stock
comparisons, files the ERP pushed, invoices (also on the order page)."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.db.models.functions import Length
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header

from connectors.idoc import IdocError, iter_idocs, read_idoc
from syncplatform.audit.admin import SubjectTransactionsMixin, retry_in_admin, transaction_link
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import InvalidTransition, SyncTransaction

from .choices import ERP_IDOC_POSTING, PostingState
from .models import (
    Idoc,
    IdocConfig,
    IdocPackage,
    InboundIdocFile,
    Invoice,
    InvoiceLine,
    Posting,
    StockComparison,
    StockComparisonLine,
)
from .services import IDOC_FILES, ensure_erp_schedules, issue_inbound_api_key, release_package
from .services.history import order_history

SHOWN_BYTES = 2 * 1024 * 1024  # files larger than this are downloaded, not parsed on the page
SHOWN_IDOCS = 200


class IdocConfigForm(forms.ModelForm):
    inbound_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Basic auth password the ERP pushes with; stored hashed. Leave empty to keep it.",
    )

    class Meta:
        model = IdocConfig
        fields = [
            "partner",
            "idoc_url",
            "package_size",
            "our_port",
            "our_partner_type",
            "our_partner",
            "erp_port",
            "erp_partner_type",
            "erp_partner",
            "erp_client",
            "inbound_username",
        ]

    def save(self, commit=True):
        config = super().save(commit=False)
        if self.cleaned_data.get("inbound_password"):
            config.set_inbound_password(self.cleaned_data["inbound_password"])
        if commit:
            config.save()
        return config


@admin.register(IdocConfig)
class IdocConfigAdmin(admin.ModelAdmin):
    """An ERP's ports and partner numbers; saving creates its send and status schedules."""

    form = IdocConfigForm
    list_display = ("partner", "idoc_url", "our_port", "our_partner", "erp_port", "erp_partner")
    actions = ["issue_api_key"]
    fieldsets = [
        (None, {"fields": ["partner", "idoc_url", "package_size"]}),
        ("Us (sender)", {"fields": ["our_port", "our_partner_type", "our_partner"]}),
        (
            "The ERP (receiver)",
            {"fields": ["erp_port", "erp_partner_type", "erp_partner", "erp_client"]},
        ),
        ("Pushes from the ERP", {"fields": ["inbound_username", "inbound_password"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ensure_erp_schedules(obj.partner)

    @admin.action(description="Issue an API key for IDoc pushes (shown once)")
    def issue_api_key(self, request, queryset):
        for config in queryset:
            _, clear_key = issue_inbound_api_key(config)
            self.message_user(
                request,
                f"API key for {config.partner.code}'s IDoc pushes (shown once, copy it now): "
                f"{clear_key}",
                messages.WARNING,
            )


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


def _change_link(obj, label=None) -> str:
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


def _control_table(control: dict) -> str:
    return format_html(
        "<table>{}</table>",
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", control.items()),
    )


class IdocInline(ReadOnlyInline):
    model = Idoc
    fields = ("position", "docnum", "erp_docnum", "status", "status_text", "posting_link")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description="posting")
    def posting_link(self, idoc):
        return _change_link(idoc.posting)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("posting")


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


@admin.register(IdocPackage)
class IdocPackageAdmin(DownloadMixin, SubjectTransactionsMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "erp",
        "file_name",
        "message_type",
        "idoc_count",
        "state",
        "sent_at",
        "transaction_link",
    )
    list_filter = ("state", "message_type", "erp", "created_at")
    search_fields = ("=first_docnum", "=message_id", "=sha256")
    exclude = ("content",)
    inlines = [IdocInline]
    actions = ["release_postings"]
    list_select_related = ("erp", "transaction")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("content").annotate(content_size=Length("content"))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in IdocPackage._meta.fields if f.name != "content"]
        return [*fields, "download", "transaction_link", "transactions"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    @admin.display(description="transaction")
    def transaction_link(self, obj):
        tx = obj.transaction
        return transaction_link(tx.pk, tx.state) if tx else "-"

    @admin.action(
        description="Release the postings of packages the ERP refused (next package)",
        permissions=["release"],
    )
    def release_postings(self, request, queryset):
        for package in queryset.order_by("pk"):
            try:
                count = release_package(package.pk, actor=request.user, reason="released in admin")
            except (ValueError, InvalidTransition) as error:
                self.message_user(request, f"{package}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"{package}: {count} posting(s) pending again")


@admin.register(Idoc)
class IdocAdmin(ReadOnlyAdmin):
    """Every IDoc we sent: control record, ERP number and status."""

    list_display = ("docnum", "erp_docnum", "package", "posting", "status", "status_at")
    list_filter = ("status", "is_current", ("package__erp", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=docnum", "=erp_docnum")
    list_select_related = ("package", "posting")
    fields = (
        "docnum",
        "erp_docnum",
        "package",
        "position",
        "posting",
        "status",
        "status_text",
        "status_at",
        "is_current",
        "resends",
        "failure_transaction",
        "control_record",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="control record (EDI_DC40)")
    def control_record(self, idoc):
        return _control_table(idoc.control)


class PostingIdocInline(IdocInline):
    fk_name = "posting"
    fields = ("docnum", "erp_docnum", "package", "status", "status_text", "is_current")
    readonly_fields = fields


class PostingForm(forms.ModelForm):
    class Meta:
        model = Posting
        fields = ["delivery_number", "document"]


@admin.register(Posting)
class PostingAdmin(SubjectTransactionsMixin, admin.ModelAdmin):
    """Postings by state. A failed one may be corrected (delivery number, document) and
    resent: the next package carries it as a new IDoc referencing the failed one."""

    form = PostingForm
    list_display = ("id", "kind", "erp", "reference", "order", "state", "last_status", "updated_at")
    list_filter = ("state", "kind", "erp", "created_at")
    search_fields = ("reference", "=delivery_number", "idocs__docnum", "idocs__erp_docnum")
    inlines = [PostingIdocInline]
    actions = ["resend"]
    list_select_related = ("erp", "order")

    def get_readonly_fields(self, request, obj=None):
        fixed = ["kind", "erp", "state", "reference", "order", "shipment", "stock_line"]
        fixed += ["resend_of", "posted_at", "transactions"]
        if obj is None or obj.state != PostingState.FAILED:
            fixed += ["delivery_number", "document"]
        return fixed

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    @admin.display(description="ERP status")
    def last_status(self, posting):
        idoc = posting.current_idoc
        return f"{idoc.status} {idoc.status_text[:60]}" if idoc and idoc.status else "-"

    @admin.action(
        description="Resend failed postings (after fixing the cause)", permissions=["resend"]
    )
    def resend(self, request, queryset):
        failed = queryset.filter(state=PostingState.FAILED)
        pairs = []
        for posting in failed.order_by("pk"):
            tx = (
                SyncTransaction.objects.about(posting)
                .filter(kind=ERP_IDOC_POSTING, state=TransactionState.FAILED)
                .order_by("-pk")
                .first()
            )
            if tx is not None:
                pairs.append((tx.pk, str(posting)))
        retry_in_admin(self, request, pairs, reason="resend of {label}", noun="posting(s)")


class StockComparisonLineInline(ReadOnlyInline):
    model = StockComparisonLine
    fields = (
        "material",
        "unit",
        "warehouse_quantity",
        "erp_quantity",
        "difference",
        "is_above_tolerance",
        "note",
        "posting_link",
    )
    readonly_fields = fields

    @admin.display(description="posting")
    def posting_link(self, line):
        posting = Posting.objects.filter(stock_line=line).first()
        return _change_link(posting) if posting else "-"


@admin.register(StockComparison)
class StockComparisonAdmin(SubjectTransactionsMixin, ReadOnlyAdmin):
    """An 846 beside the ERP's stock, line by line."""

    list_display = ("id", "warehouse", "erp", "interchange", "plant", "state", "compared_at")
    list_filter = ("state", "warehouse", "erp")
    inlines = [StockComparisonLineInline]
    list_select_related = ("warehouse", "erp", "interchange")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in StockComparison._meta.fields] + ["transactions"]


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
        return _control_table(invoice.control)


class OrderInvoiceInline(ReadOnlyInline):
    """Invoices on the order page."""

    model = Invoice
    fk_name = "order"
    verbose_name_plural = "invoices (from the ERP)"
    fields = ("invoice_link", "invoice_date", "delivery_number", "total_due", "currency")
    readonly_fields = fields

    @admin.display(description="invoice")
    def invoice_link(self, invoice):
        return _change_link(invoice, invoice.invoice_number)


class OrderPostingInline(ReadOnlyInline):
    """The order's IDoc postings (shipment confirmations) on the order page."""

    model = Posting
    fk_name = "order"
    verbose_name_plural = "IDoc postings to the ERP"
    fields = ("posting_link", "kind", "delivery_number", "state", "erp_status")
    readonly_fields = fields

    @admin.display(description="posting")
    def posting_link(self, posting):
        return _change_link(posting, f"#{posting.pk}")

    @admin.display(description="ERP status")
    def erp_status(self, posting):
        idoc = posting.current_idoc
        if idoc is None:
            return "-"
        return f"IDoc {idoc.docnum}: {idoc.status or 'awaiting'} {idoc.status_text[:80]}"


class OrderHistoryInline(admin.TabularInline):
    """The order's history across apps (``order_history``), as one table on its page."""

    model = Posting
    fk_name = "order"
    template = "admin/erpdocs/order_history.html"
    extra = 0
    max_num = 0
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.history = order_history(obj.pk) if obj is not None else []
        return formset

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _show_on_order_page() -> None:
    """Add the history, posting and invoice inlines to the orders app's OrderAdmin
    (registered by that app; nothing there is edited)."""
    order_admin = admin.site._registry.get(apps.get_model("orders", "Order"))
    if order_admin is not None:
        extra = [OrderHistoryInline, OrderPostingInline, OrderInvoiceInline]
        order_admin.inlines = [
            *order_admin.inlines,
            *(i for i in extra if i not in order_admin.inlines),
        ]


_show_on_order_page()
