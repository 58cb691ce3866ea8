"""How the simulated warehouse ships a 940: the 945 shipping advice it answers with.

Everything is a pure function of the order and the shipment's numbers, so a
test (or the platform's end-to-end tests) can predict the 945 exactly:

- W06: reporting code F, depositor order number and purchase order number
  of the 940 (W0502/W0503), ship date, shipment id (the bill of lading);
- W27: the 940's W66 carrier where it names one, the warehouse default
  otherwise; the 940's parties are repeated (ship-to...);
- one W12 per 940 line, same product ids, unit and N9*LI line number, with
  one MAN*CP tracking number for the whole shipment;
- quantities: each line ships in full, except the lines ``is_short_line``
  picks, which ship one unit less (never below zero).

``is_short_line`` hashes the depositor order number and the line's key (its
N9*LI line number, or its 1-based position when it has none): a share of 0.2
short-ships about 20% of lines, the same lines every time; 1.0 every line.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from connectors.edi.shipping import TRACKING_QUALIFIER, CarrierRouting, PackageMark
from connectors.edi.w940 import ShippingOrder, ShippingOrderLine
from connectors.edi.w945 import ShippingAdvice, ShippingAdviceLine

# W0501 codes that withdraw an order (F cancel, D delete): nothing to ship.
CANCELLING_STATUSES = frozenset({"F", "D"})
_ONE_UNIT = Decimal(1)


@dataclass(frozen=True)
class Shipment:
    """The numbers the warehouse gives one shipment (one 945)."""

    shipment_id: str
    tracking_number: str
    shipped_on: date
    carrier: CarrierRouting


def is_short_line(depositor_order_number: str, line_key: int, short_share: float) -> bool:
    """Whether this line ships one unit short; deterministic in its arguments."""
    digest = hashlib.sha256(f"{depositor_order_number}\x1f{line_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < short_share


def shipped_quantity(
    depositor_order_number: str, line_key: int, ordered: Decimal, short_share: float
) -> Decimal:
    """``ordered``, or one unit less (not below 0) when ``is_short_line``."""
    if is_short_line(depositor_order_number, line_key, short_share):
        return max(ordered - _ONE_UNIT, Decimal(0))
    return ordered


def line_key(line: ShippingOrderLine, position: int) -> int:
    """The line's N9*LI number, else its 1-based position in the 940."""
    return line.line_number if line.line_number is not None else position


def is_cancellation(order: ShippingOrder) -> bool:
    return order.status in CANCELLING_STATUSES


def carrier_for(order: ShippingOrder, default: CarrierRouting) -> CarrierRouting:
    """The 940's W66 values, each blank one filled from ``default``."""
    if order.carrier is None:
        return default
    requested = order.carrier
    return replace(
        default,
        **{
            name: getattr(requested, name)
            for name in ("scac", "routing", "transportation_method", "payment_method")
            if getattr(requested, name)
        },
    )


def ship_order(order: ShippingOrder, shipment: Shipment, short_share: float) -> ShippingAdvice:
    """The 945 for shipping ``order`` as ``shipment``."""
    mark = PackageMark(TRACKING_QUALIFIER, shipment.tracking_number)
    lines = tuple(
        ShippingAdviceLine.reporting(
            ordered=line.quantity,
            shipped=shipped_quantity(
                order.depositor_order_number, line_key(line, position), line.quantity, short_share
            ),
            unit=line.unit,
            upc=line.upc,
            sku=line.sku,
            sku_qualifier=line.sku_qualifier,
            line_number=line.line_number,
            package_marks=(mark,),
        )
        for position, line in enumerate(order.lines, start=1)
    )
    return ShippingAdvice(
        depositor_order_number=order.depositor_order_number,
        shipped_on=shipment.shipped_on,
        shipment_id=shipment.shipment_id,
        purchase_order_number=order.purchase_order_number,
        reporting_code="F",
        carrier=shipment.carrier,
        parties=order.parties,
        lines=lines,
    )
