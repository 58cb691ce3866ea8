"""Builders for the X12 connector tests: envelopes and small, realistic documents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from connectors.edi import (
    CarrierRouting,
    EdiIdentity,
    Envelope,
    PackageMark,
    Party,
    QualifiedDate,
    Reference,
    ShippingAdvice,
    ShippingAdviceLine,
    ShippingOrder,
    ShippingOrderLine,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / ".." / "shared" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_envelope(**changes) -> Envelope:
    values = {
        "sender": EdiIdentity("ZZ", "SYNCPLATFORM"),
        "receiver": EdiIdentity("ZZ", "SANDBOX3PL", "3PLAPP"),
        "interchange_control_number": 905,
        "group_control_number": 77,
        "prepared_at": datetime(2026, 11, 23, 18, 30),
        "usage": "T",
    }
    values.update(changes)
    return Envelope(**values)


def make_order(number: str = "WEB-100234") -> ShippingOrder:
    return ShippingOrder(
        depositor_order_number=number,
        purchase_order_number="PO-778",
        parties=(
            Party(
                "ST",
                "Pat Doe",
                address_lines=("1 Main St", "Apt 4"),
                city="Columbus",
                region="OH",
                postal_code="43004",
                country="US",
            ),
            Party("SF", "Sandbox Warehouse", "92", "WH01"),
        ),
        references=(Reference("CO", "C-778"),),
        dates=(QualifiedDate("10", date(2026, 11, 24)),),
        carrier=CarrierRouting(
            scac="UPSN", routing="UPS GROUND", transportation_method="U", payment_method="PP"
        ),
        lines=(
            ShippingOrderLine(
                Decimal("2"),
                "EA",
                upc="012345678905",
                sku="TSHIRT-BLK-M",
                line_number=1,
                description="T-shirt black M",
            ),
            ShippingOrderLine(
                Decimal("1.5"),
                "KG",
                sku="COFFEE-1KG",
                sku_qualifier="VN",
                line_number=2,
                references=(Reference("LT", "LOT-9"),),
            ),
        ),
    )


def make_advice(number: str = "WEB-100234") -> ShippingAdvice:
    complete = ShippingAdviceLine.reporting(
        ordered=Decimal(2), shipped=Decimal(2), unit="EA", upc="012345678905", sku="TSHIRT-BLK-M"
    )
    complete.line_number = 1
    complete.package_marks = (PackageMark("CP", "1Z999AA10123456784"),)
    short = ShippingAdviceLine.reporting(
        ordered=Decimal(3), shipped=Decimal(1), unit="EA", sku="MUG-WHT", sku_qualifier="VN"
    )
    short.line_number = 2
    short.lot_number = "LOT-7"
    short.description = "Mug white"
    short.references = (Reference("LV", "LPN6569"),)
    return ShippingAdvice(
        depositor_order_number=number,
        shipped_on=date(2026, 11, 25),
        shipment_id="BOL12345",
        purchase_order_number="PO-778",
        carrier=CarrierRouting(
            scac="UPSN", routing="UPS GROUND", transportation_method="U", payment_method="PP"
        ),
        parties=(
            Party(
                "ST",
                "Pat Doe",
                address_lines=("1 Main St",),
                city="Columbus",
                region="OH",
                postal_code="43004",
                country="US",
            ),
        ),
        references=(Reference("BM", "BOL12345"),),
        dates=(QualifiedDate("11", date(2026, 11, 25)),),
        lines=(complete, short),
    )
