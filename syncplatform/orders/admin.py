from django.contrib import admin
from django.db.models import OuterRef, Q, Subquery

from syncplatform.audit.admin import SubjectTransactionsMixin, transaction_link
from syncplatform.audit.models import SyncTransaction

from .choices import OrderStatus
from .models import ERP_ORDER_POST, Order, OrderLine

# An order whose posting failed is still ``received`` in its row; channels see it
# as ``failed`` (Order.public_status), and so do the list and its filter here.
POSTING_GAVE_UP = ("failed", "resolved")


class StatusFilter(admin.SimpleListFilter):
    """The status channels see, so "Failed" finds the orders whose posting failed."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return OrderStatus.choices

    def queryset(self, request, queryset):
        gave_up = Q(status=OrderStatus.RECEIVED, posting_state__in=POSTING_GAVE_UP)
        if self.value() == OrderStatus.FAILED:
            return queryset.filter(gave_up)
        if self.value() == OrderStatus.RECEIVED:
            return queryset.filter(status=OrderStatus.RECEIVED).exclude(gave_up)
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


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
        "shown_status",
        "erp_document_number",
        "grand_total",
        "currency",
        "created_at",
        "transaction_link",
    )
    list_filter = (StatusFilter, "channel", "created_at")
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
        fields = [f.name for f in Order._meta.fields]
        fields[fields.index("status")] = "shown_status"
        return [*fields, "transaction_link", "transactions"]

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

    @admin.display(description="status", ordering="status")
    def shown_status(self, order):
        if order.status == OrderStatus.RECEIVED and order.posting_state in POSTING_GAVE_UP:
            return OrderStatus.FAILED.label
        return order.get_status_display()

    @admin.display(description="ERP posting")
    def transaction_link(self, order):
        return transaction_link(order.posting_id, order.posting_state)
