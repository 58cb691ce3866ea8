"""Available-to-sell for operations: the figures with their components, and safety stock."""

from django.contrib import admin, messages
from django.db import transaction

from .choices import RecomputeCause
from .models import Availability, SafetyStock
from .services import delete_safety_stock, save_safety_stock, schedule_sku_recompute

# "Recompute now" on a selection: the whole catalog is the daily refresh's job.
RECOMPUTE_SELECTED_LIMIT = 10_000


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the recompute alone (change a safety stock instead)."""

    list_display = (
        "channel_sku",
        "channel_location",
        "channel",
        "material",
        "warehouse",
        "stock_quantity",
        "stock_as_of",
        "open_order_quantity",
        "shipped_since_report",
        "safety_stock",
        "available",
        "published_quantity",
        "is_publish_pending",
        "publish_error",
        "computed_at",
    )
    list_filter = ("channel", "warehouse", "is_publish_pending", "channel_location")
    search_fields = ("channel_sku", "material", "channel_location")
    list_select_related = ("channel", "warehouse")
    ordering = ("channel_sku", "channel_location")
    show_full_result_count = False  # a COUNT(*) of a million rows on every page
    actions = ["recompute_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_recompute_permission(self, request):
        return request.user.has_perm("availability.change_safetystock")

    @admin.action(description="Recompute now", permissions=["recompute"])
    def recompute_selected(self, request, queryset):
        keys: dict[tuple, set[str]] = {}
        for row in queryset.select_related("channel")[:RECOMPUTE_SELECTED_LIMIT]:
            keys.setdefault((row.channel, row.channel_location), set()).add(row.channel_sku)
        with transaction.atomic():
            for (channel, location), skus in keys.items():
                schedule_sku_recompute(
                    channel,
                    location,
                    skus,
                    cause=RecomputeCause.REFRESH,
                    correlation_id=f"admin-{request.user.pk}",
                )
        messages.info(request, f"{sum(map(len, keys.values()))} row(s) queued for recompute")


@admin.register(SafetyStock)
class SafetyStockAdmin(admin.ModelAdmin):
    """Saving or deleting a safety stock recomputes the SKUs it covers."""

    list_display = ("channel", "channel_location", "channel_sku", "quantity", "updated_at")
    list_filter = ("channel",)
    search_fields = ("channel_location", "channel_sku")

    def save_model(self, request, obj, form, change):
        save_safety_stock(obj)

    def delete_model(self, request, obj):
        delete_safety_stock(obj)

    def delete_queryset(self, request, queryset):
        for safety in queryset:
            delete_safety_stock(safety)
