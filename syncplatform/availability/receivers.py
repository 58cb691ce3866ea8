"""Stock, orders and shipments that change available-to-sell (connected in ``ready``).

Fulfilment and orders send their news inside the database transaction that
recorded it. An 846 (up to 100,000 items) queues its recompute chunks when
that commits (``on_commit``, ``robust``: a failure to queue is logged, never
turns the applied file into an error; the daily refresh heals it). An order
or a shipment marks its SKUs stale in its own transaction (one INSERT, no
extra task per order); ``collect_stale_availability`` recomputes the marks
every few seconds, many orders per chunk.
"""

from django.db import transaction

from syncplatform.fulfillment.signals import shipment_recorded, stock_reported
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


def connect() -> None:
    stock_reported.connect(on_stock_reported, dispatch_uid="availability.stock_reported")
    order_accepted.connect(on_order_accepted, dispatch_uid="availability.order_accepted")
    shipment_recorded.connect(on_shipment_recorded, dispatch_uid="availability.shipment_recorded")
