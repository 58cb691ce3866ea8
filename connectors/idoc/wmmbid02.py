"""WMMBID02, message type WMMBXY: goods movements for SAP inventory management.

The platform sends one when a 3PL's 846 stock differs from SAP's: movement
type ``701`` books a gain, ``702`` a loss, always with a positive quantity
(``GoodsMovementItem.for_difference`` picks the type from a signed
difference). Segments, as SAP's WMMBXY inbound reads them:

* ``E1MBXYH`` header (mandatory): BLDAT document date, BUDAT posting date
  (mandatory), XBLNR reference (our snapshot or posting id), BKTXT header
  text, TCODE the transaction SAP posts with.
* ``E1MBXYI`` items under it (at least one): MATNR, WERKS, BWART, ERFMG,
  ERFME (all mandatory), LGORT, CHARG batch, GRUND reason, SGTXT text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from connectors.errors import ConfigError
from connectors.idoc.control import ControlRecord
from connectors.idoc.errors import IdocStructureError
from connectors.idoc.segments import Idoc, Segment, build_segment, building
from connectors.idoc.writing import write_idocs

IDOC_TYPE = "WMMBID02"
MESSAGE_TYPE = "WMMBXY"
INVENTORY_GAIN = "701"
INVENTORY_LOSS = "702"


@dataclass(frozen=True)
class GoodsMovementItem:
    movement_type: str
    material: str
    plant: str
    quantity: Decimal
    unit: str
    storage_location: str = ""
    batch: str = ""
    reason: str = ""
    text: str = ""

    @classmethod
    def for_difference(cls, difference: Decimal, **fields: str) -> GoodsMovementItem:
        """An inventory difference as a 701 (gain, ``difference`` > 0) or 702 (loss) item."""
        if difference == 0:
            raise ValueError("a goods movement needs a difference other than zero")
        movement_type = INVENTORY_GAIN if difference > 0 else INVENTORY_LOSS
        return cls(movement_type=movement_type, quantity=abs(difference), **fields)

    @property
    def signed_quantity(self) -> Decimal:
        """The quantity as a stock change: negative for a 702."""
        return -self.quantity if self.movement_type == INVENTORY_LOSS else self.quantity


@dataclass(frozen=True)
class GoodsMovement:
    control: ControlRecord
    posting_date: date
    items: tuple[GoodsMovementItem, ...]
    document_date: date | None = None
    reference: str = ""
    header_text: str = ""
    transaction_code: str = ""


def read_wmmbid02(idoc: Idoc) -> GoodsMovement:
    """The goods movement of a WMMBID02 IDoc."""
    header = idoc.only("E1MBXYH", required=True)
    items = header.each("E1MBXYI")
    if not items:
        raise IdocStructureError(
            "mandatory segment is missing (a movement needs an item)",
            segment="E1MBXYI",
            line=header.line,
        )
    return GoodsMovement(
        control=idoc.control,
        posting_date=header.date("BUDAT", required=True),
        items=tuple(_item(item) for item in items),
        document_date=header.date("BLDAT"),
        reference=header.text("XBLNR"),
        header_text=header.text("BKTXT"),
        transaction_code=header.text("TCODE"),
    )


def _item(segment: Segment) -> GoodsMovementItem:
    return GoodsMovementItem(
        movement_type=segment.text("BWART", required=True),
        material=segment.text("MATNR", required=True),
        plant=segment.text("WERKS", required=True),
        quantity=segment.decimal("ERFMG", required=True),
        unit=segment.text("ERFME", required=True),
        storage_location=segment.text("LGORT"),
        batch=segment.text("CHARG"),
        reason=segment.text("GRUND"),
        text=segment.text("SGTXT"),
    )


def wmmbid02_idoc(movement: GoodsMovement) -> Idoc:
    """The movement as a generic IDoc; ``read_wmmbid02`` gives it back unchanged."""
    if movement.control.idoc_type != IDOC_TYPE:
        raise ConfigError(f"a GoodsMovement is a {IDOC_TYPE}, not a {movement.control.idoc_type}")
    with building(movement.control):
        if not movement.items:
            raise IdocStructureError("a goods movement needs at least one item", segment="E1MBXYI")
        header = build_segment(
            "E1MBXYH",
            [
                ("BLDAT", movement.document_date),
                ("BUDAT", movement.posting_date),
                ("XBLNR", movement.reference),
                ("BKTXT", movement.header_text),
                ("TCODE", movement.transaction_code),
            ],
            [_item_segment(item) for item in movement.items],
            required=("BUDAT",),
        )
        return Idoc(movement.control, (header,))


def write_wmmbid02(movements: Iterable[GoodsMovement], out: BinaryIO, *, soap: bool = False) -> int:
    """Stream ``movements`` into ``out`` as one WMMBID02 package; returns the IDoc count."""
    return write_idocs((wmmbid02_idoc(movement) for movement in movements), out, soap=soap)


def _item_segment(item: GoodsMovementItem) -> Segment:
    return build_segment(
        "E1MBXYI",
        [
            ("MATNR", item.material),
            ("WERKS", item.plant),
            ("LGORT", item.storage_location),
            ("CHARG", item.batch),
            ("BWART", item.movement_type),
            ("ERFMG", item.quantity),
            ("ERFME", item.unit),
            ("GRUND", item.reason),
            ("SGTXT", item.text),
        ],
        required=("MATNR", "WERKS", "BWART", "ERFMG", "ERFME"),
    )
