"""Stock, orders and shipments that change available-to-sell (connected in ``ready``).

Fulfilment and orders send their news inside the database transaction that
recorded it. An 846 (up to 100,000 items) queues its recompute chunks when
that commits (``on_commit``, ``robust``: a failure to queue is logged, never
turns the applied file into an error; the daily refresh heals it). An order
or a shipment marks its SKUs stale in its own transaction (one INSERT, no
extra task per order); ``collect_stale_availability`` recomputes the marks
every few seconds, many orders per chunk.

A SKU mapping saved or deleted (the admin, ``import_mappings``) is heard
through django-simple-history's record of the change, which carries the
values before it, so the mappings app knows nothing of this one. Mappings a
catalog load creates in bulk send no such signal: the daily refresh covers them.
"""

from django.db import transaction
from simple_history.signals import post_create_historical_record

from syncplatform.fulfillment.signals import shipment_recorded, stock_reported
from syncplatform.mappings.models import SkuMapping
from syncplatform.orders import reads as orders
from syncplatform.orders.signals import order_accepted

from .choices import RecomputeCause


def on_stock_reported(sender, warehouse, interchange, materials, **_):
    from .services import schedule_stock_recompute

    def queue():
        with transaction.atomic():
            schedule_stock_recompute(
                warehouse,
                materials,
                cause=RecomputeCause.STOCK_REPORT,
                correlation_id=f"interchange-{interchange.pk}",
            )

    transaction.on_commit(queue, robust=True)


def on_order_accepted(sender, order_id, channel_id, fulfillment_location, skus, **_):
    from .services import mark_stale

    mark_stale(channel_id, fulfillment_location, skus, RecomputeCause.ORDER)


def on_shipment_recorded(sender, shipment, **_):
    from .services import mark_stale

    order_id = shipment.shipping_order.order_id
    order = orders.order_for_posting(order_id)
    skus = {sku for _, sku, _, _ in orders.order_line_rows([order_id])}
    mark_stale(order.channel_id, order.fulfillment_location, skus, RecomputeCause.SHIPMENT)


def on_sku_mapping_changed(sender, instance, history_instance, **_):
    from .services.mapping_changes import mark_mapping_change

    before = history_instance.prev_record if history_instance.history_type == "~" else None
    skus, materials = [instance.channel_sku], [instance.erp_material]
    if before is not None:
        skus.append(before.channel_sku)
        materials.append(before.erp_material)
        if before.channel_id != instance.channel_id:
            mark_mapping_change(before.channel_id, [before.channel_sku], materials)
    mark_mapping_change(instance.channel_id, skus, materials)


def connect() -> None:
    stock_reported.connect(on_stock_reported, dispatch_uid="availability.stock_reported")
    order_accepted.connect(on_order_accepted, dispatch_uid="availability.order_accepted")
    shipment_recorded.connect(on_shipment_recorded, dispatch_uid="availability.shipment_recorded")
    post_create_historical_record.connect(
        on_sku_mapping_changed,
        sender=SkuMapping.history.model,
        dispatch_uid="availability.sku_mapping_changed",
    )
