"""Safety stock as operations set it; each change recomputes what it touches."""

from django.db import transaction

from syncplatform.fulfillment.models import StockPosition
from syncplatform.mappings.models import LocationMapping, SkuMapping

from ..choices import RecomputeCause
from ..models import Availability, SafetyStock
from .scheduling import schedule_sku_recompute


def save_safety_stock(safety: SafetyStock) -> SafetyStock:
    """Store a safety stock and queue the recompute of the SKUs it covers."""
    with transaction.atomic():
        safety.save()
        recompute_location(safety.channel, safety.channel_location, safety.channel_sku)
    return safety


def delete_safety_stock(safety: SafetyStock) -> None:
    with transaction.atomic():
        channel, location, sku = safety.channel, safety.channel_location, safety.channel_sku
        safety.delete()
        recompute_location(channel, location, sku)


def recompute_location(channel, location: str, sku: str = "", *, cause=RecomputeCause.SAFETY_STOCK):
    """Queue one SKU at a channel location, or (``sku`` empty) every SKU it may hold.

    Every SKU = those with a stored available-to-sell there and those whose
    material the location's warehouse reported.
    """
    if sku:
        skus = {sku}
    else:
        skus = set(
            Availability.objects.filter(channel=channel, channel_location=location).values_list(
                "channel_sku", flat=True
            )
        )
        warehouse_ids = (
            LocationMapping.objects.in_force()
            .filter(channel=channel, channel_location=location, warehouse__isnull=False)
            .values("warehouse_id")
        )
        reported = StockPosition.objects.filter(warehouse_id__in=warehouse_ids).values("material")
        skus |= set(
            SkuMapping.objects.in_force()
            .filter(channel=channel, erp_material__in=reported)
            .values_list("channel_sku", flat=True)
        )
    return schedule_sku_recompute(
        channel, location, skus, cause=cause, correlation_id=f"safety-stock-{channel.code}"
    )
