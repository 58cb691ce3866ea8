"""Our orders as X12 940 shipping orders."""

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import NamedTuple

from connectors.edi.shipping import CarrierRouting, Party, Reference
from connectors.edi.w940 import ShippingOrder as ShippingOrderDocument
from connectors.edi.w940 import ShippingOrderLine
from syncplatform.core.errors import NeedsPerson
from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.models import CodeMapping, SkuMapping
from syncplatform.orders.reads import erp_reference_of, order_line_rows

from .arrays import any_of


class OrderRow(NamedTuple):
    """The fields of an order that its 940 needs, read as a plain row.

    A batch is 10,000 orders: building model instances for them cost more than
    writing their 940s.
    """

    pk: int
    channel_id: int
    channel_order_number: str
    ship_to_name: str
    ship_to_line1: str
    ship_to_line2: str
    ship_to_city: str
    ship_to_region: str
    ship_to_postal_code: str
    ship_to_country: str
    shipping_method: str
    erp_document_number: str

    @property
    def erp_reference(self) -> str:
        return erp_reference_of(self.pk)


def depositor_order_number(order) -> str:
    """W05-02 / W06-02: our stable reference, echoed by the warehouse in its 945."""
    return order.erp_reference


def shipping_order_documents(orders: Sequence[OrderRow]) -> Iterator[ShippingOrderDocument]:
    """One 940 set per order, in order. Products are sent as our ERP material numbers.

    The orders' lines are read here in one query, as plain rows. Raises
    NeedsPerson naming every SKU that has no mapping (it was mapped when the
    order was posted, so this only happens if the mapping was removed) before
    any document is built. The documents are then built one at a time as the
    caller takes them: the 940 writer consumes them as it goes, so a batch's
    10,000 document trees are never alive at once. They share their like
    routings and lines, each built once per batch: read the documents, do not
    change them (``write_940(..., shares_parts=True)`` relies on that).
    """
    lines = _lines_by_order(orders)
    materials = _materials(orders, lines)
    carriers = _carriers(orders)
    missing = sorted(
        {
            f"sku {sku}"
            for order in orders
            for _, sku, _, _ in lines[order.pk]
            if (order.channel_id, sku) not in materials
        }
    )
    if missing:
        raise NeedsPerson("cannot build 940s, missing mappings: " + ", ".join(missing))
    routings, shared_lines = _Routings(carriers), _Lines(materials)
    return (_document(order, lines[order.pk], routings, shared_lines) for order in orders)


def _lines_by_order(orders) -> dict[int, list[tuple[int, str, int, int]]]:
    """Each order's lines in line-number order: ``(order id, sku, quantity, line number)``."""
    lines: dict[int, list] = {order.pk: [] for order in orders}
    for row in order_line_rows(any_of(list(lines))):
        lines[row[0]].append(row)
    return lines


def _materials(orders, lines) -> dict[tuple[int, str], tuple[str, str]]:
    """``(channel, sku)``: ``(ERP material, ERP unit)``, for the batch's SKUs."""
    skus = {(o.channel_id, sku) for o in orders for _, sku, _, _ in lines[o.pk]}
    rows = SkuMapping.objects.in_force().filter(
        channel_id__in={c for c, _ in skus}, channel_sku__in={s for _, s in skus}
    )
    return {(r.channel_id, r.channel_sku): (r.erp_material, r.erp_unit) for r in rows}


def _carriers(orders) -> dict:
    rows = CodeMapping.objects.in_force().filter(
        code_type=CodeType.CARRIER, channel_id__in={o.channel_id for o in orders}
    )
    return {(r.channel_id, r.channel_code): r.erp_code for r in rows}


class _Routings(dict):
    """``(channel, shipping method)``: its W66 routing, built on first use.

    Orders of a batch share their routing and their like lines (``_Lines``):
    some 30,000 fewer objects per 10,000 orders. The 940 writer only reads them.
    """

    def __init__(self, carriers: dict):
        super().__init__()
        self.carriers = carriers

    def __missing__(self, key: tuple[int, str]) -> CarrierRouting:
        # W66-01/02 are mandatory: prepaid (PP) motor (M) unless a partner agrees otherwise.
        self[key] = routing = CarrierRouting(
            scac=self.carriers.get(key, ""),
            routing=key[1],
            payment_method="PP",
            transportation_method="M",
        )
        return routing


class _Lines(dict):
    """``(channel, sku, quantity, line number)``: its 940 line, built on first use."""

    def __init__(self, materials: dict):
        super().__init__()
        self.materials = materials

    def __missing__(self, key: tuple[int, str, int, int]) -> ShippingOrderLine:
        channel_id, sku, quantity, line_number = key
        erp_material, erp_unit = self.materials[channel_id, sku]
        self[key] = line = ShippingOrderLine(
            quantity=Decimal(quantity),
            unit=erp_unit,
            sku=erp_material,
            sku_qualifier="VN",
            line_number=line_number,
        )
        return line


def _document(order, lines, routings: _Routings, shared_lines: _Lines) -> ShippingOrderDocument:
    ship_to = Party(
        role="ST",
        name=order.ship_to_name,
        address_lines=tuple(x for x in (order.ship_to_line1, order.ship_to_line2) if x),
        city=order.ship_to_city,
        region=order.ship_to_region,
        postal_code=order.ship_to_postal_code,
        country=order.ship_to_country,
    )
    channel_id = order.channel_id
    return ShippingOrderDocument(
        depositor_order_number=depositor_order_number(order),
        purchase_order_number=order.channel_order_number,
        parties=(ship_to,),
        references=(Reference("CO", order.erp_document_number),)
        if order.erp_document_number
        else (),
        carrier=routings[channel_id, order.shipping_method],
        lines=tuple(
            [
                shared_lines[channel_id, sku, quantity, line_number]
                for _, sku, quantity, line_number in lines
            ]
        ),
    )
