"""The order page (the orders app's OrderAdmin) shows its history, postings and invoices."""

from django.apps import apps
from django.contrib import admin

from ..models import Invoice, Posting
from ..services.history import order_history
from .base import ReadOnlyInline, change_link


class OrderInvoiceInline(ReadOnlyInline):
    """Invoices on the order page."""

    model = Invoice
    fk_name = "order"
    verbose_name_plural = "invoices (from the ERP)"
    fields = ("invoice_link", "invoice_date", "delivery_number", "total_due", "currency")
    readonly_fields = fields

    @admin.display(description="invoice")
    def invoice_link(self, invoice):
        return change_link(invoice, invoice.invoice_number)


class OrderPostingInline(ReadOnlyInline):
    """The order's IDoc postings (shipment confirmations) on the order page."""

    model = Posting
    fk_name = "order"
    verbose_name_plural = "IDoc postings to the ERP"
    fields = ("posting_link", "kind", "delivery_number", "state", "erp_status")
    readonly_fields = fields

    @admin.display(description="posting")
    def posting_link(self, posting):
        return change_link(posting, f"#{posting.pk}")

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
