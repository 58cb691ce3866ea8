from django.contrib import admin
from django.http import HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from .choices import MappingKind
from .csvfiles import export_mappings
from .models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping


class MappingAdmin(SimpleHistoryAdmin):
    """Mapping tables with change history (who/when) and CSV export in import format."""

    mapping_kind: MappingKind
    list_filter = ("channel", "is_active")
    actions = ["export_csv"]
    list_per_page = 100

    @admin.action(description="Export selected as CSV (import_mappings format)")
    def export_csv(self, request, queryset):
        response = HttpResponse(
            export_mappings(self.mapping_kind, queryset), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.mapping_kind}.csv"'
        return response


@admin.register(SkuMapping)
class SkuMappingAdmin(MappingAdmin):
    mapping_kind = MappingKind.SKU
    list_display = (
        "channel",
        "channel_sku",
        "erp_material",
        "erp_unit",
        "is_active",
        "valid_from",
        "valid_to",
    )
    search_fields = ("channel_sku", "erp_material")


@admin.register(LocationMapping)
class LocationMappingAdmin(MappingAdmin):
    mapping_kind = MappingKind.LOCATION
    list_display = (
        "channel",
        "channel_location",
        "erp_plant",
        "erp_storage_location",
        "warehouse",
        "is_active",
    )
    search_fields = ("channel_location", "erp_plant")


@admin.register(CustomerMapping)
class CustomerMappingAdmin(MappingAdmin):
    mapping_kind = MappingKind.CUSTOMER
    list_display = ("channel", "channel_customer_id", "erp_sold_to", "is_active")
    search_fields = ("channel_customer_id", "erp_sold_to")


@admin.register(CodeMapping)
class CodeMappingAdmin(MappingAdmin):
    mapping_kind = MappingKind.CODE
    list_display = ("channel", "code_type", "channel_code", "erp_code", "is_active")
    list_filter = ("channel", "code_type", "is_active")
    search_fields = ("channel_code", "erp_code")
