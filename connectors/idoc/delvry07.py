"""DELVRY07 deliveries; with message type SHPCON, the 3PL's shipment confirmation.

What the platform sends SAP when a warehouse has shipped (SAP posts goods
issue from it), and what SAP sends as DESADV. The segments read and written
are the ones a real system fills for that:

* ``E1EDL20`` the delivery: VBELN delivery number (mandatory), VSTEL
  shipping point, VKORG sales organisation, BTGEW/NTGEW/GEWEI weights,
  BOLNR bill of lading, LIFEX external id (the warehouse's shipment id).
* ``E1EDL18`` what SAP is to do, one QUALF each: ``PGI`` post goods issue,
  ``PIC`` picking, ``ORI`` original, ``CHG`` change, ``DEL`` delete.
* ``E1ADRM1`` partners: PARTNER_Q role (``SP`` carrier, ``WE`` ship-to...),
  PARTNER_ID, NAME1, STREET1, POSTL_COD1, CITY1, COUNTRY1.
* ``E1EDT13`` dates by QUALF, planned (NTANF/NTANZ, NTEND/NTENZ) and actual
  (ISDD/ISDZ, IEDD/IEDZ): ``006`` goods issue, whose actual start is when
  the goods left.
* ``E1EDL24`` items: POSNR (mandatory), MATNR, ARKTX, WERKS, LGORT, CHARG
  batch, LFIMG picked quantity in VRKME, LGMNG/MEINS the same in the base
  unit, EAN11, VGBEL/VGPOS the sales order and its item; ``E1EDL19`` QUALF
  ``QUA``: take LFIMG as the delivered quantity.
* ``E1EDL37`` handling units, one per package: EXIDV its id (mandatory; the
  SSCC when there is one), EXIDV2 the carrier's tracking number, VHILM
  packaging material, BRGEW/GEWEI; ``E1EDL44`` its contents: POSNR delivery
  item, VEMNG/VEMEH quantity, MATNR, CHARG.

Tracking numbers therefore travel per package, in E1EDL37-EXIDV2; BOLNR
carries the shipment's bill of lading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import BinaryIO

from connectors.errors import ConfigError
from connectors.idoc.control import ControlRecord
from connectors.idoc.segments import (
    FieldValue,
    Idoc,
    Segment,
    build_segment,
    building,
    moment_fields,
)
from connectors.idoc.writing import WrittenIdoc, segment_text, write_idocs

IDOC_TYPE = "DELVRY07"
SHIPMENT_CONFIRMATION = "SHPCON"
POST_GOODS_ISSUE = "PGI"
PICKING = "PIC"
ORIGINAL = "ORI"
CHANGE = "CHG"
DELETE = "DEL"
GOODS_ISSUE_DATE = "006"
ADOPT_QUANTITY = "QUA"
CARRIER = "SP"


@dataclass(frozen=True)
class DeliveryPartner:
    role: str
    number: str = ""
    name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""


@dataclass(frozen=True)
class DeliveryDate:
    qualifier: str
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    time_zone: str = ""


@dataclass(frozen=True)
class DeliveryItem:
    item_number: str
    material: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    batch: str = ""
    plant: str = ""
    storage_location: str = ""
    description: str = ""
    ean: str = ""
    base_quantity: Decimal | None = None
    base_unit: str = ""
    sales_order_number: str = ""
    sales_order_item: str = ""
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandlingUnitItem:
    delivery_item: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    material: str = ""
    batch: str = ""


@dataclass(frozen=True)
class HandlingUnit:
    identifier: str
    tracking_number: str = ""
    packaging_material: str = ""
    gross_weight: Decimal | None = None
    weight_unit: str = ""
    items: tuple[HandlingUnitItem, ...] = ()


@dataclass(frozen=True)
class Delivery:
    control: ControlRecord
    delivery_number: str
    actions: tuple[str, ...] = ()
    shipping_point: str = ""
    sales_organization: str = ""
    bill_of_lading: str = ""
    external_id: str = ""
    gross_weight: Decimal | None = None
    net_weight: Decimal | None = None
    weight_unit: str = ""
    partners: tuple[DeliveryPartner, ...] = ()
    dates: tuple[DeliveryDate, ...] = ()
    items: tuple[DeliveryItem, ...] = ()
    handling_units: tuple[HandlingUnit, ...] = ()

    @property
    def is_goods_issue(self) -> bool:
        return POST_GOODS_ISSUE in self.actions

    @property
    def goods_issued_at(self) -> datetime | None:
        """When the goods left: the actual start of the 006 date."""
        for qualified in self.dates:
            if qualified.qualifier == GOODS_ISSUE_DATE:
                return qualified.actual_start
        return None

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        return tuple(unit.tracking_number for unit in self.handling_units if unit.tracking_number)


# -- reading ---------------------------------------------------------------


def read_delvry07(idoc: Idoc) -> Delivery:
    """The delivery of a DELVRY07 IDoc (any message type: SHPCON, DESADV, WHSCON)."""
    header = idoc.only("E1EDL20", required=True)
    return Delivery(
        control=idoc.control,
        delivery_number=header.text("VBELN", required=True),
        actions=_qualifiers(header, "E1EDL18"),
        shipping_point=header.text("VSTEL"),
        sales_organization=header.text("VKORG"),
        bill_of_lading=header.text("BOLNR"),
        external_id=header.text("LIFEX"),
        gross_weight=header.decimal("BTGEW"),
        net_weight=header.decimal("NTGEW"),
        weight_unit=header.text("GEWEI"),
        partners=tuple(_partner(s) for s in header.each("E1ADRM1")),
        dates=tuple(_date(s) for s in header.each("E1EDT13")),
        items=tuple(_item(s) for s in header.each("E1EDL24")),
        handling_units=tuple(_handling_unit(s) for s in header.each("E1EDL37")),
    )


def _qualifiers(segment: Segment, name: str) -> tuple[str, ...]:
    return tuple(child.text("QUALF", required=True) for child in segment.each(name))


def _partner(segment: Segment) -> DeliveryPartner:
    return DeliveryPartner(
        role=segment.text("PARTNER_Q", required=True),
        number=segment.text("PARTNER_ID"),
        name=segment.text("NAME1"),
        street=segment.text("STREET1"),
        postal_code=segment.text("POSTL_COD1"),
        city=segment.text("CITY1"),
        country=segment.text("COUNTRY1"),
    )


def _date(segment: Segment) -> DeliveryDate:
    return DeliveryDate(
        qualifier=segment.text("QUALF", required=True),
        planned_start=segment.moment("NTANF", "NTANZ"),
        planned_end=segment.moment("NTEND", "NTENZ"),
        actual_start=segment.moment("ISDD", "ISDZ"),
        actual_end=segment.moment("IEDD", "IEDZ"),
        time_zone=segment.text("TZONE_BEG"),
    )


def _item(segment: Segment) -> DeliveryItem:
    return DeliveryItem(
        item_number=segment.digits("POSNR", 6, required=True),
        material=segment.text("MATNR"),
        quantity=segment.decimal("LFIMG"),
        unit=segment.text("VRKME"),
        batch=segment.text("CHARG"),
        plant=segment.text("WERKS"),
        storage_location=segment.text("LGORT"),
        description=segment.text("ARKTX"),
        ean=segment.text("EAN11"),
        base_quantity=segment.decimal("LGMNG"),
        base_unit=segment.text("MEINS"),
        sales_order_number=segment.text("VGBEL"),
        sales_order_item=segment.digits("VGPOS", 6),
        actions=_qualifiers(segment, "E1EDL19"),
    )


def _handling_unit(segment: Segment) -> HandlingUnit:
    return HandlingUnit(
        identifier=segment.text("EXIDV", required=True),
        tracking_number=segment.text("EXIDV2"),
        packaging_material=segment.text("VHILM"),
        gross_weight=segment.decimal("BRGEW"),
        weight_unit=segment.text("GEWEI"),
        items=tuple(
            HandlingUnitItem(
                delivery_item=content.digits("POSNR", 6),
                quantity=content.decimal("VEMNG"),
                unit=content.text("VEMEH"),
                material=content.text("MATNR"),
                batch=content.text("CHARG"),
            )
            for content in segment.each("E1EDL44")
        ),
    )


# -- writing ---------------------------------------------------------------


def delvry07_idoc(delivery: Delivery) -> Idoc:
    """The delivery as a generic IDoc; ``read_delvry07`` gives it back unchanged."""
    _check_type(delivery.control)
    with building(delivery.control):
        header = build_segment(
            "E1EDL20",
            _header_fields(delivery),
            [
                *(_qualifier_segment("E1EDL18", action) for action in delivery.actions),
                *(_partner_segment(partner) for partner in delivery.partners),
                *(_date_segment(qualified) for qualified in delivery.dates),
                *(_item_segment(item) for item in delivery.items),
                *(_handling_unit_segment(unit) for unit in delivery.handling_units),
            ],
            required=("VBELN",),
        )
        return Idoc(delivery.control, (header,))


def delvry07_written(delivery: Delivery) -> WrittenIdoc:
    """The delivery as ``write_idocs`` writes ``delvry07_idoc(delivery)``, byte for byte,
    composed as text: no ``Segment`` is built, which halves the writer's time on the
    500-IDoc SHPCON packages (bench/idoc_posting.py)."""
    _check_type(delivery.control)
    with building(delivery.control):
        children = "".join(
            [
                *(_qualifier_text("E1EDL18", action) for action in delivery.actions),
                *(
                    segment_text("E1ADRM1", _partner_fields(partner), required=("PARTNER_Q",))
                    for partner in delivery.partners
                ),
                *(
                    segment_text("E1EDT13", _date_fields(qualified), required=("QUALF",))
                    for qualified in delivery.dates
                ),
                *(_item_text(item) for item in delivery.items),
                *(_handling_unit_text(unit) for unit in delivery.handling_units),
            ]
        )
        header = segment_text("E1EDL20", _header_fields(delivery), children, required=("VBELN",))
    return WrittenIdoc(delivery.control, header)


def write_delvry07(deliveries: Iterable[Delivery], out: BinaryIO, *, soap: bool = False) -> int:
    """Stream ``deliveries`` into ``out`` as one DELVRY07 package; returns the IDoc count."""
    return write_idocs((delvry07_written(delivery) for delivery in deliveries), out, soap=soap)


def _check_type(control: ControlRecord) -> None:
    if control.idoc_type != IDOC_TYPE:
        raise ConfigError(f"a Delivery is a {IDOC_TYPE}, not a {control.idoc_type}")


# The fields of each segment in SAP's order, shared by both writers above.
ITEM_DIGITS = {"POSNR": 6, "VGPOS": 6}
CONTENT_DIGITS = {"POSNR": 6}


def _header_fields(delivery: Delivery) -> list[tuple[str, FieldValue]]:
    return [
        ("VBELN", delivery.delivery_number),
        ("VSTEL", delivery.shipping_point),
        ("VKORG", delivery.sales_organization),
        ("BTGEW", delivery.gross_weight),
        ("NTGEW", delivery.net_weight),
        ("GEWEI", delivery.weight_unit),
        ("BOLNR", delivery.bill_of_lading),
        ("LIFEX", delivery.external_id),
    ]


def _partner_fields(partner: DeliveryPartner) -> list[tuple[str, FieldValue]]:
    return [
        ("PARTNER_Q", partner.role),
        ("PARTNER_ID", partner.number),
        ("NAME1", partner.name),
        ("STREET1", partner.street),
        ("POSTL_COD1", partner.postal_code),
        ("CITY1", partner.city),
        ("COUNTRY1", partner.country),
    ]


def _date_fields(qualified: DeliveryDate) -> list[tuple[str, FieldValue]]:
    return [
        ("QUALF", qualified.qualifier),
        *moment_fields("NTANF", "NTANZ", qualified.planned_start),
        *moment_fields("NTEND", "NTENZ", qualified.planned_end),
        ("TZONE_BEG", qualified.time_zone),
        *moment_fields("ISDD", "ISDZ", qualified.actual_start),
        *moment_fields("IEDD", "IEDZ", qualified.actual_end),
    ]


def _item_fields(item: DeliveryItem) -> list[tuple[str, FieldValue]]:
    return [
        ("POSNR", item.item_number),
        ("MATNR", item.material),
        ("ARKTX", item.description),
        ("WERKS", item.plant),
        ("LGORT", item.storage_location),
        ("CHARG", item.batch),
        ("LFIMG", item.quantity),
        ("VRKME", item.unit),
        ("LGMNG", item.base_quantity),
        ("MEINS", item.base_unit),
        ("EAN11", item.ean),
        ("VGBEL", item.sales_order_number),
        ("VGPOS", item.sales_order_item),
    ]


def _handling_unit_fields(unit: HandlingUnit) -> list[tuple[str, FieldValue]]:
    return [
        ("EXIDV", unit.identifier),
        ("BRGEW", unit.gross_weight),
        ("GEWEI", unit.weight_unit),
        ("VHILM", unit.packaging_material),
        ("EXIDV2", unit.tracking_number),
    ]


def _content_fields(content: HandlingUnitItem) -> list[tuple[str, FieldValue]]:
    return [
        ("POSNR", content.delivery_item),
        ("VEMNG", content.quantity),
        ("VEMEH", content.unit),
        ("MATNR", content.material),
        ("CHARG", content.batch),
    ]


def _qualifier_segment(name: str, qualifier: str) -> Segment:
    return build_segment(name, [("QUALF", qualifier)], required=("QUALF",))


def _partner_segment(partner: DeliveryPartner) -> Segment:
    return build_segment("E1ADRM1", _partner_fields(partner), required=("PARTNER_Q",))


def _date_segment(qualified: DeliveryDate) -> Segment:
    return build_segment("E1EDT13", _date_fields(qualified), required=("QUALF",))


def _item_segment(item: DeliveryItem) -> Segment:
    return build_segment(
        "E1EDL24",
        _item_fields(item),
        [_qualifier_segment("E1EDL19", action) for action in item.actions],
        required=("POSNR",),
        digits=ITEM_DIGITS,
    )


def _handling_unit_segment(unit: HandlingUnit) -> Segment:
    contents = [
        build_segment("E1EDL44", _content_fields(content), digits=CONTENT_DIGITS)
        for content in unit.items
    ]
    return build_segment("E1EDL37", _handling_unit_fields(unit), contents, required=("EXIDV",))


def _qualifier_text(name: str, qualifier: str) -> str:
    return segment_text(name, [("QUALF", qualifier)], required=("QUALF",))


def _item_text(item: DeliveryItem) -> str:
    children = "".join([_qualifier_text("E1EDL19", action) for action in item.actions])
    return segment_text(
        "E1EDL24", _item_fields(item), children, required=("POSNR",), digits=ITEM_DIGITS
    )


def _handling_unit_text(unit: HandlingUnit) -> str:
    contents = "".join(
        [segment_text("E1EDL44", _content_fields(c), digits=CONTENT_DIGITS) for c in unit.items]
    )
    return segment_text("E1EDL37", _handling_unit_fields(unit), contents, required=("EXIDV",))
