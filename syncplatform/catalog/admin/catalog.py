"""The catalog as loads left it: read-only products, prices, listings and the price-day mark."""

from django.contrib import admin

from ..models import Barcode, Listing, Price, PriceDayMark, Product, ProductUnit


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UnitInline(admin.TabularInline):
    model = ProductUnit
    fields = ("unit", "numerator", "denominator", "main_ean", "barcodes")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="barcodes")
    def barcodes(self, obj):
        return ", ".join(Barcode.objects.filter(unit=obj).values_list("ean", flat=True))


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "text",
        "material_type",
        "material_group",
        "base_unit",
        "is_deleted",
        "changed_at",
    )
    list_filter = ("is_deleted", "material_type")
    search_fields = ("=number",)
    show_full_result_count = False  # a million rows: no COUNT(*) per page
    inlines = [UnitInline]
    exclude = ("content_hash",)

    @admin.display(description="description")
    def text(self, obj):
        return obj.description()


@admin.register(Price)
class PriceAdmin(ReadOnlyAdmin):
    list_display = (
        "material",
        "condition_type",
        "sales_org",
        "distribution_channel",
        "amount",
        "currency",
        "per",
        "unit",
        "valid_from",
        "valid_to",
        "is_deleted",
    )
    list_filter = ("condition_type", "sales_org", "distribution_channel", "is_deleted")
    search_fields = ("=material",)
    show_full_result_count = False
    exclude = ("content_hash",)


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = ("channel_sku", "channel", "product", "is_listed", "publish_state", "changed_at")
    list_filter = ("channel", "publish_state", "is_listed")
    search_fields = ("=channel_sku", "=product__number")
    list_select_related = ("channel", "product")
    show_full_result_count = False
    exclude = ("content_hash",)


@admin.register(PriceDayMark)
class PriceDayMarkAdmin(ReadOnlyAdmin):
    """Where ``catalog.prices_in_force`` stands: the next run looks at the days after it."""

    list_display = ("through_date", "updated_at")
    fields = ("through_date", "updated_at")
    readonly_fields = fields
