"""A daily recompute of everything: heals a change whose recompute was lost.

Recomputes are queued after the commit that changed stock or orders; a
process that dies in between loses that one queueing, and the SKU mappings
a catalog load creates in bulk queue none (edits in the admin or by
``import_mappings`` do: ``mapping_changes``). This job queues every
warehouse's reported materials again (in chunks, like an 846); unchanged
rows are not written and nothing unchanged is published. It also offers
channels again what they did not take.
"""

from django.db import transaction

from syncplatform.audit.registry import scheduled_job
from syncplatform.fulfillment.models import StockPosition
from syncplatform.partners.models import Partner

from ..choices import RecomputeCause
from ..models import Availability
from .publication import queue_publication
from .scheduling import schedule_stock_recompute


@scheduled_job(
    "availability.refresh",
    every_seconds=24 * 3600,
    name="refresh available-to-sell",
    description="Recomputes every channel SKU's available-to-sell from the stored stock, "
    "orders and safety stock, in chunks; publishes only what changed.",
)
def refresh_availability() -> int:
    """Queue every reported material of every warehouse; returns the chunks queued.

    Rows a channel did not take (a SKU not in the shop yet, a refusal) are
    offered again: their reasons are cleared and their channels' publications
    queued.
    """
    retried = Availability.objects.filter(is_publish_pending=True).exclude(publish_error="")
    with transaction.atomic():
        for channel_id in set(retried.values_list("channel_id", flat=True)):
            retried.filter(channel_id=channel_id).update(publish_error="")
            queue_publication(channel_id)
    queued = 0
    warehouse_ids = StockPosition.objects.values_list("warehouse_id", flat=True).distinct()
    for warehouse in Partner.objects.filter(pk__in=list(warehouse_ids)).order_by("pk"):
        materials = StockPosition.objects.filter(warehouse=warehouse).values_list(
            "material", flat=True
        )
        with transaction.atomic():
            queued += len(
                schedule_stock_recompute(
                    warehouse,
                    materials.iterator(chunk_size=10_000),
                    cause=RecomputeCause.REFRESH,
                    correlation_id=f"availability-refresh-{warehouse.code}",
                )
            )
    return queued
