from django.contrib import admin
from django.db.models import OuterRef, Subquery

from syncplatform.audit.admin import SubjectTransactionsMixin, transaction_link
from syncplatform.audit.models import SyncTransaction

from .models import ERP_ORDER_POST, Order, OrderLine


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
class OrderAdmin(SubjectTransactionsMixin, admin.ModelAdmin):
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
    list_select_related = ("channel",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.fields] + ["transaction_link", "transactions"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # One query for the whole page: the posting transaction's id and state.
        posting = SyncTransaction.objects.filter(
            kind=ERP_ORDER_POST, subject_id=OuterRef("pk")
        ).order_by("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                posting_id=Subquery(posting.values("pk")[:1]),
                posting_state=Subquery(posting.values("state")[:1]),
            )
        )

    @admin.display(description="ERP posting")
    def transaction_link(self, order):
        return transaction_link(order.posting_id, order.posting_state)
