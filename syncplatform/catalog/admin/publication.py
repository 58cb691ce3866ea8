"""Publication to channels' shops: runs with progress, what each listing is in the shop, locations.

Runs and listing publications are written by the publication service only
(read-only here); shop locations are operations' to map.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from ..models import ListingPublication, PublicationRun, ShopLocation


def run_progress(run: PublicationRun) -> str:
    total = max(run.total, 1)
    return format_html(
        '<progress value="{}" max="{}" style="width:8em"></progress> {}% '
        '<span class="publication-progress">{} of {}</span>',
        run.done,
        total,
        min(100, run.done * 100 // total),
        run.done,
        run.total,
    )


def run_rate(run: PublicationRun) -> float | None:
    """Listings a second since the run started (until it finished)."""
    seconds = ((run.finished_at or timezone.now()) - run.created_at).total_seconds()
    return run.done / seconds if run.done and seconds > 0 else None


def run_eta(run: PublicationRun) -> str:
    rate = run_rate(run)
    if run.finished_at is not None or not rate:
        return "-"
    minutes, seconds = divmod(int(max(run.total - run.done, 0) / rate), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PublicationRun)
class PublicationRunAdmin(ReadOnly):
    list_display = ("id", "channel", "status", "progress", "rate", "eta", "counts", "created_at")
    list_filter = ("status", "channel")
    list_select_related = ("channel",)
    fields = (
        "channel",
        "status",
        "progress",
        "rate",
        "eta",
        "counts",
        "cutoff",
        "chunk_size",
        "chunks_done",
        "checkpoint",
        "created_at",
        "heartbeat_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description="progress")
    def progress(self, obj):
        return run_progress(obj)

    @admin.display(description="rate")
    def rate(self, obj):
        rate = run_rate(obj)
        return f"{rate:,.0f} listings/s" if rate else "-"

    @admin.display(description="ETA")
    def eta(self, obj):
        return run_eta(obj)

    # A short header over words that wrap: the five counts under one header of their
    # names ("created / updated / ...") pushed "created at" out of sight at 1366 px.
    @admin.display(description="listings")
    def counts(self, obj):
        return format_html(
            '<span class="publication-counts">{} created, {} updated, {} unpublished, '
            "{} refused, {} recovered</span>",
            obj.created_count,
            obj.updated_count,
            obj.unpublished_count,
            obj.refused_count,
            obj.recovered_count,
        )


@admin.register(ListingPublication)
class ListingPublicationAdmin(ReadOnly):
    list_display = (
        "listing",
        "variant_gid",
        "is_active_in_shop",
        "published_at",
        "error_field",
        "error_message",
    )
    list_filter = ("is_active_in_shop", "error_code")
    search_fields = ("listing__channel_sku", "variant_gid", "product_gid")
    list_select_related = ("listing",)


@admin.register(ShopLocation)
class ShopLocationAdmin(admin.ModelAdmin):
    list_display = ("channel", "location_code", "location_gid")
    list_filter = ("channel",)
    search_fields = ("location_code", "location_gid")
