"""A SKU mapping added, edited or deleted: its SKUs' available-to-sell is computed again.

A mapping says which ERP material's stock a channel SKU sells. Changing it
(the admin, ``import_mappings``) changes the figure of the SKU it now names
and of the SKU it named before (a renamed SKU, a mapping moved to another
material or deleted). Both are marked stale at every location of the channel
that a warehouse serves or that already has a figure for them, inside the
mapping's own database transaction; ``collect_stale_availability`` (every
few seconds) recomputes and publishes them, many edits per chunk, so a bulk
import costs one INSERT per SKU and location, not a task per row. A SKU left
without a mapping in force is computed as 0 and published so (``components``).
"""

from collections.abc import Iterable

from syncplatform.fulfillment.models import StockPosition
from syncplatform.mappings.models import LocationMapping

from ..choices import RecomputeCause
from ..models import Availability
from .stale import mark_stale


def mark_mapping_change(channel_id: int, skus: Iterable[str], materials: Iterable[str]) -> int:
    """Inside the caller's transaction: mark ``skus`` of the channel stale; returns the marks.

    At the locations whose warehouse reported one of ``materials`` (the mapping's
    material now and before) and those that have a figure for one of the SKUs.
    """
    skus = sorted({sku for sku in skus if sku})
    if not skus:
        return 0
    reporting = StockPosition.objects.filter(material__in=set(materials)).values("warehouse_id")
    served = LocationMapping.objects.in_force().filter(
        channel_id=channel_id, warehouse_id__in=reporting
    )
    figured = Availability.objects.filter(channel_id=channel_id, channel_sku__in=skus)
    locations = set(served.values_list("channel_location", flat=True)) | set(
        figured.values_list("channel_location", flat=True)
    )
    for location in sorted(locations):
        mark_stale(channel_id, location, skus, RecomputeCause.MAPPING)
    return len(locations) * len(skus)
