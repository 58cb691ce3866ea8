from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "line_number",
        "sku",
        "quantity",
        "unit_price",
        "tax_code",
        "tax_amount",
        "discount_amount",
        "quantity_shipped",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are read-only here: they change through their transactions."""

    list_display = (
        "id",
        "channel",
        "channel_order_number",
        "status",
        "erp_document_number",
        "grand_total",
        "currency",
        "created_at",
        "transaction_link",
    )
    list_filter = ("status", "channel", "created_at")
    search_fields = (
        "channel_order_number",
        "erp_document_number",
        "correlation_id",
        "idempotency_key",
        "customer_id",
    )
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    list_select_related = ("channel", "erp_transaction")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.fields] + ["transaction_link"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="ERP posting")
    def transaction_link(self, order):
        tx = order.erp_transaction
        if tx is None:
            return "-"
        url = reverse("admin:audit_synctransaction_change", args=[tx.pk])
        return format_html('<a href="{}">#{} {}</a>', url, tx.pk, tx.state)
