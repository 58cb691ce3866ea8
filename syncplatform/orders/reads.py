"""What other apps read of orders: the declared way across this app's boundary.

Other apps never import ``orders.models``; they read through these functions
and change orders through ``orders.services`` (an import-linter contract in
``pyproject.toml`` holds them to it). The rows come back plain (values, not
model instances) where a batch reads thousands of them.
"""

from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import Exists, F, OuterRef, QuerySet, Sum

from syncplatform.mappings.models import LocationMapping

from .choices import OrderStatus
from .models import (
    ERP_ORDER_POST,
    Order,
    OrderLine,
    erp_reference_of,
    order_id_of_reference,
)

__all__ = [
    "OPEN_STATUSES",
    "OrderForPosting",
    "ReconciliationSources",
    "erp_reference_of",
    "open_quantities",
    "order_for_posting",
    "order_id_of_reference",
    "order_ids_for_channel_references",
    "order_ids_for_erp_references",
    "order_labels",
    "order_line_ids_at",
    "order_line_keys",
    "order_line_rows",
    "order_lines_by_id",
    "posted_orders_routed_to",
    "reconciliation_sources",
]


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


class OrderForPosting(NamedTuple):
    """What an IDoc posting about an order needs of it."""

    pk: int
    channel_id: int
    channel_order_number: str
    fulfillment_location: str
    erp_document_number: str
    erp_delivery_number: str

    @property
    def erp_reference(self) -> str:
        return erp_reference_of(self.pk)


def order_for_posting(order_id: int) -> OrderForPosting | None:
    row = Order.objects.filter(pk=order_id).values_list(*OrderForPosting._fields).first()
    return OrderForPosting._make(row) if row else None


def order_lines_by_id(line_ids: Iterable[int]) -> dict[int, tuple[int, str, int]]:
    """``line id: (line number, sku, quantity ordered)``."""
    rows = OrderLine.objects.filter(pk__in=list(line_ids)).values_list(
        "pk", "line_number", "sku", "quantity"
    )
    return {pk: (number, sku, quantity) for pk, number, sku, quantity in rows}


def order_ids_for_erp_references(
    sales_order_numbers: Iterable[str], our_references: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """The orders an ERP document names: by the ERP's sales order number
    (``erp_document_number``), and by our reference (``SP-…``); only orders that exist."""
    numbers = {n for n in sales_order_numbers if n}
    by_number = (
        dict(
            Order.objects.filter(erp_document_number__in=numbers).values_list(
                "erp_document_number", "pk"
            )
        )
        if numbers
        else {}
    )
    wanted = {ref: order_id_of_reference(ref) for ref in our_references if ref}
    ids = {order_id for order_id in wanted.values() if order_id is not None}
    existing = set(Order.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    by_reference = {ref: oid for ref, oid in wanted.items() if oid in existing}
    return by_number, by_reference


def order_labels(order_ids: Iterable[int]) -> dict[int, str]:
    """``order id: "channel order number (SP-…)"``, for messages operators read."""
    rows = Order.objects.filter(pk__in=list(order_ids)).values_list("pk", "channel_order_number")
    return {pk: f"{number} ({erp_reference_of(pk)})" for pk, number in rows}


# Orders that still hold stock for the channel: accepted and not fully shipped or cancelled.
OPEN_STATUSES = (OrderStatus.RECEIVED, OrderStatus.POSTED, OrderStatus.PARTIALLY_SHIPPED)


def open_quantities(
    channel_id: int, locations: Iterable[str], skus: Iterable[str]
) -> dict[tuple[str, str], int]:
    """``(fulfillment location, sku): quantity ordered and not yet shipped`` of open orders.

    Only the channel's orders in ``OPEN_STATUSES`` count; a key without open
    quantity is absent. One grouped query.
    """
    rows = (
        OrderLine.objects.filter(
            order__channel_id=channel_id,
            order__status__in=OPEN_STATUSES,
            order__fulfillment_location__in=list(locations),
            sku__in=list(skus),
            quantity__gt=F("quantity_shipped"),
        )
        .values_list("order__fulfillment_location", "sku")
        .annotate(open=Sum(F("quantity") - F("quantity_shipped")))
    )
    return {(location, sku): quantity for location, sku, quantity in rows}


def order_line_ids_at(channel_id: int, locations: Iterable[str], skus: Iterable[str]) -> QuerySet:
    """Ids of the channel's order lines for ``skus`` at ``locations`` (a subquery to filter by)."""
    return OrderLine.objects.filter(
        order__channel_id=channel_id,
        order__fulfillment_location__in=list(locations),
        sku__in=list(skus),
    ).values("pk")


def order_line_keys(line_ids: Iterable[int]) -> dict[int, tuple[int, str, str]]:
    """``line id: (channel id, fulfillment location, sku)``."""
    rows = OrderLine.objects.filter(pk__in=list(line_ids)).values_list(
        "pk", "order__channel_id", "order__fulfillment_location", "sku"
    )
    return {pk: (channel_id, location, sku) for pk, channel_id, location, sku in rows}


class ReconciliationSources(NamedTuple):
    """What finance's set-based reconciliation query reads of orders (one SQL statement
    over a million orders cannot go through querysets of this app)."""

    order_table: str
    order_line_table: str
    cancelled_status: str
    erp_post_kind: str


def reconciliation_sources() -> ReconciliationSources:
    return ReconciliationSources(
        Order._meta.db_table, OrderLine._meta.db_table, OrderStatus.CANCELLED, ERP_ORDER_POST
    )


def order_ids_for_channel_references(channel_id: int, references: Iterable[str]) -> dict[str, int]:
    """``reference: order id`` for those of a channel's order references that name an order.

    A reference as a payment provider writes it names an order by, in this order:
    its channel order number as it is; its channel order name (Shopify Payments'
    payout export writes ``#1001``, the order's ``name``, where the webhook's
    order number is Shopify's id); its number without one leading ``#`` (a
    channel that sent ``1001`` as the number). A name two orders share names
    neither. References that name no order are left out. Two queries, whatever
    the count (the name's over a partial index of the orders that have one).
    """
    references = set(references)
    candidates = references | {ref[1:] for ref in references if ref.startswith("#")}
    numbers = dict(
        Order.objects.filter(channel_id=channel_id, channel_order_number__in=candidates)
        .values_list("channel_order_number", "pk")
        .iterator()
    )
    names: dict[str, int | None] = {}
    unnumbered = [ref for ref in references if ref not in numbers]
    if unnumbered:
        named = (
            Order.objects.filter(channel_id=channel_id, channel_order_name__in=unnumbered)
            .exclude(channel_order_name="")  # the partial index's condition
            .values_list("channel_order_name", "pk")
        )
        for name, order_id in named.iterator():
            names[name] = None if name in names else order_id
    found = {}
    for reference in references:
        order_id = numbers.get(reference) or names.get(reference)
        if order_id is None and reference.startswith("#"):
            order_id = numbers.get(reference[1:])
        if order_id is not None:
            found[reference] = order_id
    return found
