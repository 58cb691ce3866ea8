"""Our orders as X12 940 shipping orders."""

from decimal import Decimal

from connectors.edi.shipping import CarrierRouting, Party, Reference
from connectors.edi.w940 import ShippingOrder as ShippingOrderDocument
from connectors.edi.w940 import ShippingOrderLine
from syncplatform.core.errors import NeedsPerson
from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.models import CodeMapping, SkuMapping


def depositor_order_number(order) -> str:
    """W05-02 / W06-02: our stable reference, echoed by the warehouse in its 945."""
    return order.erp_reference


def shipping_order_documents(orders) -> list[ShippingOrderDocument]:
    """One 940 set per order. Products are sent as our ERP material numbers.

    Raises NeedsPerson naming every SKU that has no mapping (it was mapped
    when the order was posted, so this only happens if the mapping was removed).
    """
    materials = _materials(orders)
    carriers = _carriers(orders)
    missing = sorted(
        {
            f"sku {line.sku}"
            for order in orders
            for line in order.lines.all()
            if (order.channel_id, line.sku) not in materials
        }
    )
    if missing:
        raise NeedsPerson("cannot build 940s, missing mappings: " + ", ".join(missing))
    return [_document(order, materials, carriers) for order in orders]


def _materials(orders) -> dict:
    skus = {(o.channel_id, line.sku) for o in orders for line in o.lines.all()}
    rows = SkuMapping.objects.in_force().filter(
        channel_id__in={c for c, _ in skus}, channel_sku__in={s for _, s in skus}
    )
    return {(r.channel_id, r.channel_sku): r for r in rows}


def _carriers(orders) -> dict:
    rows = CodeMapping.objects.in_force().filter(
        code_type=CodeType.CARRIER, channel_id__in={o.channel_id for o in orders}
    )
    return {(r.channel_id, r.channel_code): r.erp_code for r in rows}


def _document(order, materials, carriers) -> ShippingOrderDocument:
    ship_to = Party(
        role="ST",
        name=order.ship_to_name,
        address_lines=tuple(x for x in (order.ship_to_line1, order.ship_to_line2) if x),
        city=order.ship_to_city,
        region=order.ship_to_region,
        postal_code=order.ship_to_postal_code,
        country=order.ship_to_country,
    )
    scac = carriers.get((order.channel_id, order.shipping_method), "")
    return ShippingOrderDocument(
        depositor_order_number=depositor_order_number(order),
        purchase_order_number=order.channel_order_number,
        parties=(ship_to,),
        references=(Reference("CO", order.erp_document_number),)
        if order.erp_document_number
        else (),
        # W66-01/02 are mandatory: prepaid (PP) motor (M) unless a partner agrees otherwise.
        carrier=CarrierRouting(
            scac=scac, routing=order.shipping_method, payment_method="PP", transportation_method="M"
        ),
        lines=tuple(
            ShippingOrderLine(
                quantity=Decimal(line.quantity),
                unit=materials[(order.channel_id, line.sku)].erp_unit,
                sku=materials[(order.channel_id, line.sku)].erp_material,
                sku_qualifier="VN",
                line_number=line.line_number,
            )
            for line in order.lines.all()
        ),
    )
