"""Apply a received functional group: 945 → shipments, 846 → stock, 997 → ack state.

Everything here runs inside the runner's final database transaction and is
idempotent (a replay after a fix adds only what is missing): shipments are
unique per (interchange, set), stock keeps the newest report, acknowledgment
states are set, not added. Each group of 945s or 846s is answered with one
997 (never a 997 for a 997).
"""

import logging
import re
from datetime import datetime, time
from decimal import Decimal

from django.utils import timezone

from connectors.edi.ack997 import FunctionalAck, build_997
from connectors.edi.w846 import InventoryAdvice
from connectors.edi.w945 import ShippingAdvice
from syncplatform.mappings.models import SkuMapping
from syncplatform.orders.choices import OrderStatus

from ..choices import AckState, Direction, ShippingOrderStatus
from ..models import Interchange, Shipment, ShipmentLine, ShippingOrder, StockPosition

logger = logging.getLogger(__name__)

REFERENCE = re.compile(r"^SP-(\d{10})$")
ACK_STATES = {
    "A": AckState.ACCEPTED,
    "E": AckState.ACCEPTED,
    "P": AckState.PARTIALLY_ACCEPTED,
    "R": AckState.REJECTED,
}
ON_HAND, AVAILABLE = ("17", "QH"), ("33", "QA")


class ApplyProblems(list):
    """Business problems found while applying (unknown order, unknown line); each a sentence."""


def apply_group(config, interchange, group, results, problems: ApplyProblems) -> None:
    for result in results:
        document, number = result.document, result.transaction_set.control_number
        if isinstance(document, ShippingAdvice):
            record_shipment(interchange, number, document, problems)
        elif isinstance(document, InventoryAdvice):
            update_stock(config.partner, interchange, document)
        elif isinstance(document, FunctionalAck):
            record_acknowledgment(config.partner, interchange, document, problems)
    if (
        group.functional_id != "FA"
        and not Interchange.objects.filter(
            acknowledges=interchange, acknowledged_group=group.control_number
        ).exists()
    ):
        from .outbound import queue_997

        queue_997(config, build_997(group, results), interchange)


def record_shipment(
    interchange, set_number: str, advice: ShippingAdvice, problems: ApplyProblems
) -> None:
    where = f"{interchange.file_name} 945 set {set_number}"
    if Shipment.objects.filter(interchange=interchange, set_control_number=set_number).exists():
        return
    match = REFERENCE.match(advice.depositor_order_number)
    shipping_order = (
        ShippingOrder.objects.select_related("order")
        .filter(order_id=int(match.group(1)), interchange__partner=interchange.partner)
        .first()
        if match
        else None
    )
    if shipping_order is None:
        problems.append(
            f"{where}: W0602 depositor order {advice.depositor_order_number!r} "
            f"is no shipping order we sent to {interchange.partner.code}"
        )
        return
    order = shipping_order.order
    lines = {line.line_number: line for line in order.lines.all()}
    by_material = _lines_by_material(order, lines)
    shipped = []
    for position, advice_line in enumerate(advice.lines, start=1):
        line = lines.get(advice_line.line_number) or by_material.get(advice_line.sku)
        if line is None:
            problems.append(
                f"{where}: W12 line {position} ({advice_line.sku or advice_line.upc})"
                f" matches no line of order {order.channel_order_number}"
            )
            return
        if advice_line.quantity_shipped != int(advice_line.quantity_shipped):
            problems.append(
                f"{where}: W12 line {position} quantity shipped "
                f"{advice_line.quantity_shipped} is not a whole number of units"
            )
            return
        shipped.append((line, advice_line))
    _store_shipment(interchange, set_number, advice, shipping_order, shipped)


def _lines_by_material(order, lines) -> dict:
    materials = dict(
        SkuMapping.objects.filter(
            channel_id=order.channel_id, channel_sku__in=[ln.sku for ln in lines.values()]
        ).values_list("erp_material", "channel_sku")
    )
    by_sku = {line.sku: line for line in lines.values()}
    return {material: by_sku[sku] for material, sku in materials.items()}


def _store_shipment(interchange, set_number, advice, shipping_order, shipped) -> None:
    tracking = sorted(
        {mark.number for line in advice.lines for mark in line.package_marks if mark.number}
    )
    is_short = any(
        a.quantity_shipped < (a.quantity_ordered or line.quantity) for line, a in shipped
    )
    shipment = Shipment.objects.create(
        shipping_order=shipping_order,
        interchange=interchange,
        set_control_number=set_number,
        warehouse_shipment_id=advice.shipment_id,
        ship_date=advice.shipped_on,
        carrier_scac=advice.carrier.scac if advice.carrier else "",
        tracking_numbers=tracking,
        is_short=is_short,
    )
    for line, advice_line in shipped:
        ShipmentLine.objects.create(
            shipment=shipment,
            order_line=line,
            quantity_ordered=advice_line.quantity_ordered or Decimal(line.quantity),
            quantity_shipped=advice_line.quantity_shipped,
        )
        line.quantity_shipped += int(advice_line.quantity_shipped)
        line.save(update_fields=["quantity_shipped"])
    order = shipping_order.order
    complete = all(ln.quantity_shipped >= ln.quantity for ln in order.lines.all())
    order.status = OrderStatus.SHIPPED if complete else OrderStatus.PARTIALLY_SHIPPED
    order.save(update_fields=["status", "updated_at"])
    shipping_order.status = (
        ShippingOrderStatus.SHIPPED if complete else ShippingOrderStatus.PARTIALLY_SHIPPED
    )
    shipping_order.save(update_fields=["status", "updated_at"])


def update_stock(warehouse, interchange, advice: InventoryAdvice) -> None:
    as_of = timezone.make_aware(datetime.combine(advice.reported_on, time.min))
    materials = {_material(item) for item in advice.items if item.product_ids}
    skus: dict[str, list[str]] = {}
    for mapping in SkuMapping.objects.filter(erp_material__in=materials).select_related("channel"):
        skus.setdefault(mapping.erp_material, []).append(
            f"{mapping.channel.code}:{mapping.channel_sku}"
        )
    for item in advice.items:
        if not item.product_ids:
            continue
        material = _material(item)
        quantities = {q.qualifier: q for q in item.quantities}
        on_hand = next((quantities[q] for q in ON_HAND if q in quantities), None)
        available = next((quantities[q] for q in AVAILABLE if q in quantities), None)
        current = StockPosition.objects.filter(warehouse=warehouse, material=material).first()
        if current and current.as_of > as_of:
            continue  # an older report arriving late never overwrites a newer one
        StockPosition.objects.update_or_create(
            warehouse=warehouse,
            material=material,
            defaults={
                "channel_skus": sorted(skus.get(material, [])),
                "quantity_on_hand": on_hand.quantity if on_hand else None,
                "quantity_available": available.quantity if available else None,
                "unit": (on_hand or available).unit if (on_hand or available) else "",
                "as_of": as_of,
                "interchange": interchange,
            },
        )


def _material(item) -> str:
    """The item's id in our terms: the ERP material we sent as VN (or SK), else its first id."""
    ids = {product.qualifier: product.value for product in item.product_ids}
    return ids.get("VN") or ids.get("SK") or item.product_ids[0].value


def record_acknowledgment(
    warehouse, interchange, ack: FunctionalAck, problems: ApplyProblems
) -> None:
    # AK102 names the group we sent; our GS06 is always our ISA13 (one number per file).
    acknowledged = Interchange.objects.filter(
        partner=warehouse,
        direction=Direction.OUTBOUND,
        isa_control_number=f"{int(ack.group_control_number):09d}"
        if ack.group_control_number.isdigit()
        else ack.group_control_number,
    ).first()
    if acknowledged is None:
        problems.append(
            f"{interchange.file_name}: 997 AK102 group {ack.group_control_number} "
            f"is no interchange we sent to {warehouse.code}"
        )
        return
    acknowledged.ack_state = ACK_STATES.get(ack.status, AckState.REJECTED)
    acknowledged.acknowledged_by = interchange
    acknowledged.save(update_fields=["ack_state", "acknowledged_by", "updated_at"])
    _follow_acknowledgment(acknowledged, ack)


def _follow_acknowledgment(acknowledged: Interchange, ack: FunctionalAck) -> None:
    """Mark the interchange's waiting shipping orders accepted or rejected, set by set.

    Two UPDATEs, whatever the number of sets: a 997 for a 10,000-order 940 saved
    10,000 rows one by one before. The sets whose own AK5 departs from the
    group's verdict are the exceptions; every other set follows the group.
    """
    waiting = acknowledged.shipping_orders.filter(
        status__in=(ShippingOrderStatus.PENDING, ShippingOrderStatus.SENT)
    )
    by_default = ack.accepts_unlisted_sets
    exceptions = [a.control_number for a in ack.set_acks if a.is_accepted != by_default]
    accepted, rejected = ShippingOrderStatus.ACCEPTED, ShippingOrderStatus.REJECTED
    now = timezone.now()
    waiting.filter(set_control_number__in=exceptions).update(
        status=rejected if by_default else accepted, updated_at=now
    )
    waiting.exclude(set_control_number__in=exceptions).update(
        status=accepted if by_default else rejected, updated_at=now
    )
