"""X12 files a warehouse would send us, and small readers for the files we send.

945 and 997 come from the connector's own writers; the 846 is written by hand
(the platform only reads 846s). The warehouse is DEMO3PL, we are SYNCPLATFORM.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from connectors.edi.ack997 import FunctionalAck, SetAck, write_997
from connectors.edi.shipping import CarrierRouting, PackageMark
from connectors.edi.w945 import ShippingAdvice, ShippingAdviceLine, write_945
from connectors.edi.writer import EdiIdentity, Envelope
from syncplatform.fulfillment.models import Interchange
from syncplatform.mappings.models import SkuMapping
from syncplatform.orders.models import Order

OUR_ID = EdiIdentity("ZZ", "SYNCPLATFORM")
WAREHOUSE_ID = EdiIdentity("ZZ", "DEMO3PL")


def order_line(number: int, sku: str, quantity: int) -> dict:
    return {
        "line_number": number,
        "sku": sku,
        "quantity": quantity,
        "unit_price": "10.00",
        "tax_code": "TX-APPAREL",
        "tax_amount": "0.00",
        "discount_amount": "0.00",
    }


def warehouse_envelope(number: int, version: str = "004010") -> Envelope:
    """The warehouse's envelope to us, with ISA13 = GS06 = ``number``."""
    return Envelope(
        sender=WAREHOUSE_ID,
        receiver=OUR_ID,
        interchange_control_number=number,
        group_control_number=number,
        prepared_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        version=version,
    )


def shipping_advice(
    order: Order, *, shipped: dict[int, int] | None = None, shipment_id: str = "SHP-1"
) -> ShippingAdvice:
    """A 945 for ``order``: every line shipped in full unless ``shipped`` says per line number."""
    materials = dict(SkuMapping.objects.values_list("channel_sku", "erp_material"))
    lines = tuple(
        ShippingAdviceLine.reporting(
            ordered=Decimal(line.quantity),
            shipped=Decimal((shipped or {}).get(line.line_number, line.quantity)),
            unit="EA",
            sku=materials[line.sku],
            sku_qualifier="VN",
            line_number=line.line_number,
            package_marks=(PackageMark("CP", f"1Z999AA1012345678{line.line_number}"),),
        )
        for line in order.lines.all()
    )
    return ShippingAdvice(
        depositor_order_number=order.erp_reference,
        shipped_on=date(2026, 11, 24),
        shipment_id=shipment_id,
        purchase_order_number=order.channel_order_number,
        carrier=CarrierRouting(scac="UPSN", transportation_method="M"),
        lines=lines,
    )


def file_945(advices: list[ShippingAdvice], number: int) -> bytes:
    return write_945(advices, warehouse_envelope(number))


def file_997(group: str, number: int, status: str, set_statuses: dict[str, str]) -> bytes:
    """The warehouse's 997 for our 940 group ``group``: one AK2/AK5 per ``set_statuses`` item."""
    set_acks = tuple(
        SetAck("940", control, set_status, () if set_status == "A" else ("5",))
        for control, set_status in set_statuses.items()
    )
    ack = FunctionalAck(
        functional_id="OW",
        group_control_number=group,
        version="004010",
        status=status,
        sets_included=len(set_acks),
        sets_received=len(set_acks),
        sets_accepted=sum(1 for a in set_acks if a.status == "A"),
        set_acks=set_acks,
    )
    return write_997(ack, warehouse_envelope(number))


def file_846(number: int, reported_on: str, items: list[tuple[str, str, str]]) -> bytes:
    """An 846 by hand (the platform has no 846 writer): ``items`` are (material, QTY 33, QTY 17)."""
    body = [f"BIA*00*SI*INV-{number}*{reported_on}"]
    for material, available, on_hand in items:
        body.append(f"LIN**VN*{material}")
        body.append(f"QTY*33*{available}*EA")
        if on_hand:
            body.append(f"QTY*17*{on_hand}*EA")
    segments = ["ST*846*0001", *body, f"SE*{len(body) + 2}*0001"]
    return (
        "ISA*00*          *00*          *ZZ*DEMO3PL        *ZZ*SYNCPLATFORM   *261123*1200*U*"
        f"00401*{number:09d}*0*P*>~GS*IB*DEMO3PL*SYNCPLATFORM*20261123*1200*{number}*X*004010~"
        + "~".join(segments)
        + f"~GE*1*{number}~IEA*1*{number:09d}~"
    ).encode()


def segments_of(content: bytes) -> list[str]:
    """The segments of a file we wrote (terminator ``~``, newline after each)."""
    return [s.strip() for s in bytes(content).decode().split("~") if s.strip()]


def outbound_997s(acknowledging: Interchange) -> list[Interchange]:
    return list(Interchange.objects.filter(acknowledges=acknowledging).order_by("pk"))
