"""The exceptions of a report, as operations work them: by reason, with the order a click away."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ..models import ReconciliationException
from ..services.amounts import shown_amount
from .reports import SETTLEMENT_AMOUNTS

MONEY_FIELDS = (
    "channel_total", "erp_value", "erp_difference", "shipped_value", "invoiced_value",
    "settled_gross", "settled_net",
)  # fmt: skip
SETTLEMENT_COLUMNS = ("settled_gross", "settled_net", "settled_gross_shown", "settled_net_shown")


def _shown(field: str):
    """A money column at the row's currency's minor units (stored with the ERP's six digits)."""

    @admin.display(description=field.replace("_", " "), ordering=field)
    def column(self, row):
        return shown_amount(getattr(row, field), row.currency) or "-"

    column.__name__ = f"{field}_shown"
    return column


@admin.register(ReconciliationException)
class ReconciliationExceptionAdmin(admin.ModelAdmin):
    """Read-only. Settlement amounts show only with ``finance.view_settlement_amounts``."""

    list_display = (
        "order_link", "channel", "order_date", "status", "other_reasons", "currency",
        *(f"{field}_shown" for field in MONEY_FIELDS), "action",
    )  # fmt: skip
    list_filter = ("status", "channel", "report")
    search_fields = ("channel_order_number", "=order_id")
    list_select_related = ("channel",)

    def get_list_display(self, request):
        if request.user.has_perm(SETTLEMENT_AMOUNTS):
            return self.list_display
        return tuple(c for c in self.list_display if c not in SETTLEMENT_COLUMNS)

    channel_total_shown = _shown("channel_total")
    erp_value_shown = _shown("erp_value")
    erp_difference_shown = _shown("erp_difference")
    shipped_value_shown = _shown("shipped_value")
    invoiced_value_shown = _shown("invoiced_value")
    settled_gross_shown = _shown("settled_gross")
    settled_net_shown = _shown("settled_net")

    def get_fields(self, request, obj=None):
        fields = [
            f"{f.name}_shown" if f.name in MONEY_FIELDS else f.name
            for f in self.model._meta.fields
            if f.name != "id"
        ]
        if not request.user.has_perm(SETTLEMENT_AMOUNTS):
            fields = [f for f in fields if f not in SETTLEMENT_COLUMNS]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="order", ordering="order_id")
    def order_link(self, row):
        url = reverse("admin:orders_order_change", args=[row.order_id])
        return format_html('<a href="{}">{}</a>', url, row.channel_order_number)

    @admin.display(description="what to do")
    def action(self, row):
        if row.failed_transaction_id is None:
            return row.operations_action or "-"
        url = reverse("admin:audit_synctransaction_change", args=[row.failed_transaction_id])
        return format_html('{} <a href="{}">open the transaction</a>', row.operations_action, url)
