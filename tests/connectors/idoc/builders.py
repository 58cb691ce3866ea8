"""Builders for the IDoc connector tests: control records and small, realistic documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from connectors.idoc import (
    Amount,
    ControlRecord,
    Delivery,
    DeliveryDate,
    DeliveryItem,
    DeliveryPartner,
    DocumentReference,
    GoodsMovement,
    GoodsMovementItem,
    HandlingUnit,
    HandlingUnitItem,
    Invoice,
    InvoiceDate,
    InvoiceItem,
    InvoicePartner,
    InvoiceTotal,
    ItemIdentifier,
    ItemTax,
    format_docnum,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / ".." / "shared" / "samples"


def make_control(idoc_type: str, message_type: str, number: int = 4711, **changes) -> ControlRecord:
    """What the platform sends SAP: inbound there, from our logical system to the ERP's."""
    control = ControlRecord(
        idoc_type=idoc_type,
        message_type=message_type,
        docnum=format_docnum(number),
        sender_port="SYNCPLAT",
        sender_partner_type="LS",
        sender_partner="SYNCPLAT",
        receiver_port="SAPERP",
        receiver_partner_type="LS",
        receiver_partner="ERPCLNT100",
        created_at=datetime(2026, 11, 23, 18, 30, 5),
        client="100",
        direction="2",
    )
    return replace(control, **changes)


def make_delivery(number: int = 4711, delivery_number: str = "0080001234") -> Delivery:
    """A shipment confirmation for two items, one shipped in a batch, in two parcels."""
    return Delivery(
        control=make_control("DELVRY07", "SHPCON", number),
        delivery_number=delivery_number,
        actions=("PGI",),
        shipping_point="WH01",
        bill_of_lading="BOL-77",
        external_id="945-000123",
        gross_weight=Decimal("3.250"),
        weight_unit="KGM",
        partners=(DeliveryPartner("SP", "UPSN", "UPS"),),
        dates=(DeliveryDate("006", actual_start=datetime(2026, 11, 24, 9, 15), time_zone="UTC"),),
        items=(
            DeliveryItem(
                "000010", "TSHIRT-BLK-M", Decimal("2"), "EA", plant="1000",
                storage_location="0001", sales_order_number="0000012345",
                sales_order_item="000010", actions=("QUA",),
            ),
            DeliveryItem("000020", "MUG-WHT", Decimal("1.5"), "EA", batch="B-2026-11"),
        ),
        handling_units=(
            HandlingUnit(
                "00012345670000000017", "1Z999AA10123456784", "CARTON",
                items=(HandlingUnitItem("000010", Decimal("2"), "EA", "TSHIRT-BLK-M"),),
            ),
            HandlingUnit("00012345670000000024", "1Z999AA10123456791"),
        ),
    )  # fmt: skip


def make_goods_movement(number: int = 4712) -> GoodsMovement:
    """Inventory differences from one 846 snapshot: a gain and a loss."""
    return GoodsMovement(
        control=make_control("WMMBID02", "WMMBXY", number),
        posting_date=date(2026, 11, 24),
        document_date=date(2026, 11, 23),
        reference="846-000042",
        header_text="3PL stock difference",
        items=(
            GoodsMovementItem.for_difference(
                Decimal("3"), material="TSHIRT-BLK-M", plant="1000", unit="EA",
                storage_location="0001",
            ),
            GoodsMovementItem.for_difference(
                Decimal("-1.5"), material="MUG-WHT", plant="1000", unit="EA", batch="B-2026-11",
            ),
        ),
    )  # fmt: skip


def make_invoice(number: int = 9001, sales_order: str = "0000012345") -> Invoice:
    """A billing document for one item of our sales order and its delivery."""
    return Invoice(
        control=make_control(
            "INVOIC02", "INVOIC", number, direction="1", sender_partner="ERPCLNT100",
            receiver_partner="SYNCPLAT",
        ),
        invoice_number="0090001234",
        currency="USD",
        document_type="INVO",
        payment_terms="NT30",
        partners=(
            InvoicePartner("AG", "C-778", "Pat Doe", "1 Main St", "Columbus", "43004", "US"),
            InvoicePartner("RS", "1000", "Demo Retail Inc."),
        ),
        references=(
            DocumentReference("001", "WEB-100234", date=date(2026, 11, 23)),
            DocumentReference("002", sales_order),
            DocumentReference("012", "0080001234"),
        ),
        dates=(InvoiceDate("012", date(2026, 11, 24)),),
        items=(
            InvoiceItem(
                "000010", Decimal("2"), "EA", "1000",
                references=(DocumentReference("002", sales_order, "000010"),),
                identifiers=(ItemIdentifier("002", "TSHIRT-BLK-M", "T-shirt black M"),),
                amounts=(Amount("001", Decimal("19.99")), Amount("003", Decimal("39.98"))),
                taxes=(ItemTax("O1", Decimal("8.000"), Decimal("3.20")),),
            ),
        ),
        totals=(
            InvoiceTotal("001", Decimal("1")),
            InvoiceTotal("005", Decimal("3.20"), "USD"),
            InvoiceTotal("011", Decimal("43.18"), "USD"),
        ),
    )  # fmt: skip
