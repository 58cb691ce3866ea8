"""Stock the simulated warehouse reports, and the 846 it reports it in.

connectors/edi reads 846s but has no writer (the platform only receives
them), so the sandbox writes its own on the edi writer's envelope:
``write_846(levels, envelope, ...)`` gives one interchange (GS01 ``IB``)
with one 846 that ``connectors.edi.read_846`` reads back::

    BIA*00*MM*<report number>*<CCYYMMDD>*<HHMM>
    N1*WH*<warehouse name>*ZZ*<warehouse id>
    LIN**VN*MAT-100200*UP*012345678905      (the ids the 940s used)
    QTY*33*<available>*EA                   (33: available for sale)
    QTY*17*<on hand>*EA                     (17: on hand; the same here)
    CTT*<number of LIN loops>
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from connectors.edi.shipping import ccyymmdd, quantity_text
from connectors.edi.w940 import UPC_QUALIFIERS, ShippingOrderLine
from connectors.edi.w945 import ShippingAdviceLine
from connectors.edi.writer import Envelope, Segment, write_interchange

FUNCTIONAL_ID = "IB"
AVAILABLE, ON_HAND = "33", "17"


@dataclass(frozen=True)
class StockedProduct:
    """A product as the platform names it in its 940s: SKU (with qualifier) and/or UPC."""

    sku: str = ""
    sku_qualifier: str = "SK"
    upc: str = ""
    unit: str = "EA"

    @property
    def key(self) -> str:
        """``VN:MAT-100200``, or ``UP:012345678905`` for a product known only by UPC."""
        return f"{self.sku_qualifier}:{self.sku}" if self.sku else f"UP:{self.upc}"

    @classmethod
    def of_line(cls, line: ShippingOrderLine | ShippingAdviceLine) -> "StockedProduct":
        """The product a 940 or 945 line names."""
        return cls(sku=line.sku, sku_qualifier=line.sku_qualifier, upc=line.upc, unit=line.unit)

    @classmethod
    def parse(cls, text: str) -> "StockedProduct":
        """``[QUALIFIER:]ID[/UNIT]``: ``MAT-100200``, ``VN:MAT-100200/PK``, ``UP:0123...``."""
        named, _, unit = text.strip().partition("/")
        qualifier, _, product_id = named.rpartition(":")
        qualifier = qualifier or "SK"
        if not product_id:
            raise ValueError(f"{text!r} names no product id")
        if qualifier in UPC_QUALIFIERS:
            return cls(upc=product_id, unit=unit or "EA")
        return cls(sku=product_id, sku_qualifier=qualifier, unit=unit or "EA")


@dataclass(frozen=True)
class StockLevel:
    product: StockedProduct
    on_hand: Decimal


def write_846(
    levels: Sequence[StockLevel],
    envelope: Envelope,
    *,
    report_number: str,
    warehouse_name: str,
) -> bytes:
    """One interchange with one 846 listing ``levels`` in the order given."""
    body = inventory_segments(
        levels,
        report_number=report_number,
        reported_at=envelope.prepared_at,
        warehouse_name=warehouse_name,
        warehouse_id=envelope.sender.id,
    )
    return write_interchange(envelope, FUNCTIONAL_ID, [("846", body)])


def inventory_segments(
    levels: Sequence[StockLevel],
    *,
    report_number: str,
    reported_at: datetime,
    warehouse_name: str,
    warehouse_id: str,
) -> list[Segment]:
    """The body of one 846 (without ST/SE)."""
    segments: list[Segment] = [
        ["BIA", "00", "MM", report_number, ccyymmdd(reported_at), reported_at.strftime("%H%M")],
        ["N1", "WH", warehouse_name, "ZZ", warehouse_id],
    ]
    for level in levels:
        product = level.product
        ids = [product.sku_qualifier, product.sku] if product.sku else []
        if product.upc:
            ids += ["UP", product.upc]
        segments.append(["LIN", "", *ids])
        quantity = quantity_text(max(level.on_hand, Decimal(0)))
        segments.append(["QTY", AVAILABLE, quantity, product.unit])
        segments.append(["QTY", ON_HAND, quantity, product.unit])
    segments.append(["CTT", len(levels)])
    return segments
