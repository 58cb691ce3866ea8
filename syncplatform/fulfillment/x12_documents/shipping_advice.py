"""945 shipping advice: the warehouse shipped (part of) an order we sent it as a 940."""

from decimal import Decimal

from connectors.edi.w945 import ShippingAdvice, read_945
from syncplatform.mappings.services import materials_of_skus
from syncplatform.orders.services import order_id_of_reference, record_shipment

from ..choices import EDI_945_IN
from ..models import Shipment, ShipmentLine, ShippingOrder
from ..services.inbound import X12_FILES, ReceivedSet
from ..signals import shipment_recorded


def describe(advice: ShippingAdvice) -> str:
    return (
        f"945: depositor order {advice.depositor_order_number}, shipment "
        f"{advice.shipment_id or '-'}, {len(advice.lines)} line(s), shipped {advice.shipped_on}"
    )


@X12_FILES.document(
    "945",
    group_id="SW",
    kind=EDI_945_IN,
    description="945 shipping advice from a warehouse",
    reader=read_945,
    describe=describe,
)
def record_shipping_advice(received: ReceivedSet, advice: ShippingAdvice) -> None:
    """Record the shipment once per (file, set) and add it to the order's lines."""
    interchange, set_number = received.interchange, received.set_control_number
    where = f"{interchange.file_name} 945 set {set_number}"
    if Shipment.objects.filter(interchange=interchange, set_control_number=set_number).exists():
        return
    shipping_order = _shipping_order(received, advice.depositor_order_number)
    if shipping_order is None:
        received.problems.append(
            f"{where}: W0602 depositor order {advice.depositor_order_number!r} "
            f"is no shipping order we sent to {received.warehouse.code}"
        )
        return
    order = shipping_order.order
    lines = {line.line_number: line for line in order.lines.all()}
    by_material = _lines_by_material(order, lines)
    shipped = []
    for position, advice_line in enumerate(advice.lines, start=1):
        line = lines.get(advice_line.line_number) or by_material.get(advice_line.sku)
        if line is None:
            received.problems.append(
                f"{where}: W12 line {position} ({advice_line.sku or advice_line.upc})"
                f" matches no line of order {order.channel_order_number}"
            )
            return
        if advice_line.quantity_shipped != int(advice_line.quantity_shipped):
            received.problems.append(
                f"{where}: W12 line {position} quantity shipped "
                f"{advice_line.quantity_shipped} is not a whole number of units"
            )
            return
        shipped.append((line, advice_line))
    _store_shipment(received, advice, shipping_order, shipped)


def _shipping_order(received: ReceivedSet, depositor_order_number: str) -> ShippingOrder | None:
    order_id = order_id_of_reference(depositor_order_number)
    if order_id is None:
        return None
    return (
        ShippingOrder.objects.select_related("order")
        .filter(order_id=order_id, interchange__partner=received.warehouse)
        .first()
    )


def _lines_by_material(order, lines) -> dict:
    materials = materials_of_skus(order.channel_id, [line.sku for line in lines.values()])
    by_sku = {line.sku: line for line in lines.values()}
    return {material: by_sku[sku] for sku, material in materials.items()}


def _store_shipment(received, advice, shipping_order, shipped) -> None:
    tracking = sorted(
        {mark.number for line in advice.lines for mark in line.package_marks if mark.number}
    )
    is_short = any(
        a.quantity_shipped < (a.quantity_ordered or line.quantity) for line, a in shipped
    )
    shipment = Shipment.objects.create(
        shipping_order=shipping_order,
        interchange=received.interchange,
        set_control_number=received.set_control_number,
        warehouse_shipment_id=advice.shipment_id,
        ship_date=advice.shipped_on,
        carrier_scac=advice.carrier.scac if advice.carrier else "",
        tracking_numbers=tracking,
        is_short=is_short,
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(
            shipment=shipment,
            order_line=line,
            quantity_ordered=advice_line.quantity_ordered or Decimal(line.quantity),
            quantity_shipped=advice_line.quantity_shipped,
        )
        for line, advice_line in shipped
    )
    is_complete = record_shipment(
        shipping_order.order, [(line, int(a.quantity_shipped)) for line, a in shipped]
    )
    shipping_order.mark_shipped(is_complete=is_complete)
    shipment_recorded.send(sender=Shipment, shipment=shipment)
