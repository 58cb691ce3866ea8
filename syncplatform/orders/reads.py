"""What other apps read of orders: the declared way across this app's boundary.

Other apps never import ``orders.models``; they read through these functions
and change orders through ``orders.services`` (an import-linter contract in
``pyproject.toml`` holds them to it). The rows come back plain (values, not
model instances) where a batch reads thousands of them.
"""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from syncplatform.mappings.models import LocationMapping

from .choices import OrderStatus
from .models import Order, OrderLine, erp_reference_of

__all__ = ["erp_reference_of", "order_line_rows", "posted_orders_routed_to"]


def posted_orders_routed_to(warehouse) -> QuerySet:
    """Posted orders that a location mapping routes to ``warehouse`` and no 940 carries yet.

    A queryset, so the caller can lock (``select_for_update``), order and slice it.
    """
    routed = LocationMapping.objects.in_force().filter(
        channel=OuterRef("channel"),
        channel_location=OuterRef("fulfillment_location"),
        warehouse=warehouse,
    )
    return Order.objects.filter(
        Exists(routed), status=OrderStatus.POSTED, shipping_order__isnull=True
    )


def order_line_rows(order_ids: Iterable[int]) -> QuerySet:
    """The orders' lines as ``(order id, sku, quantity, line number)`` rows, by order and line."""
    return (
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "line_number")
        .values_list("order_id", "sku", "quantity", "line_number")
    )
