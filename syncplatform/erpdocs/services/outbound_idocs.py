"""What a posting says as an IDoc: its control record and its DELVRY07 or WMMBID02.

A posting's ``document`` (JSON, written when the posting is made and open to
correction by operations) holds the data; these functions only translate it,
with no database, so the package writer can run them in a second thread.

SHPCON ``document``: ``goods_issue_date`` (ISO date), ``sales_order_number``,
``external_id`` (the warehouse's shipment id), ``carrier`` (SCAC),
``tracking_numbers``, ``items``: ``item_number`` (the sales-order item, 10,
20, ...), ``material``, ``quantity`` (shipped), ``ordered_quantity``, ``unit``,
``plant``, ``storage_location``. WMMBXY ``document``: ``posting_date``, ``reference``,
``items``: ``movement_type`` (701/702), ``material``, ``plant``,
``storage_location``, ``quantity``, ``unit``, ``text``.
"""

from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from connectors.idoc import (
    ControlRecord,
    Delivery,
    DeliveryDate,
    DeliveryItem,
    DeliveryPartner,
    GoodsMovement,
    GoodsMovementItem,
    HandlingUnit,
    WrittenIdoc,
    delvry07_written,
    format_docnum,
    wmmbid02_idoc,
)
from connectors.idoc.control import control_fields
from connectors.idoc.delvry07 import (
    ADOPT_QUANTITY,
    CARRIER,
    GOODS_ISSUE_DATE,
    POST_GOODS_ISSUE,
)
from connectors.idoc.delvry07 import IDOC_TYPE as DELVRY07
from connectors.idoc.segments import Idoc
from connectors.idoc.wmmbid02 import IDOC_TYPE as WMMBID02

from ..choices import PostingKind

IDOC_TYPES = {PostingKind.SHIPMENT_CONFIRMATION: DELVRY07, PostingKind.GOODS_MOVEMENT: WMMBID02}
RESEND_MARK = "RESEND "  # EDI_DC40-ARCKEY of a resent IDoc: "RESEND <failed DOCNUM>"


class PostingRow(NamedTuple):
    """A pending posting as the package reads it."""

    pk: int
    kind: str
    delivery_number: str
    document: dict
    resends_id: int | None  # the failed IDoc this posting's next one sends again
    resends_docnum: str | None


class Partners(NamedTuple):
    """Who sends and who receives, from the ERP's IDoc config."""

    our_port: str
    our_partner_type: str
    our_partner: str
    erp_port: str
    erp_partner_type: str
    erp_partner: str
    erp_client: str

    @classmethod
    def of(cls, config) -> "Partners":
        return cls(*(getattr(config, name) for name in cls._fields))


def control_record(
    partners: Partners, kind: str, docnum: int, created_at: datetime, resends: str | None
) -> ControlRecord:
    """The EDI_DC40 of an IDoc we send: inbound to the ERP (DIRECT 2), numbered by us."""
    return ControlRecord(
        idoc_type=IDOC_TYPES[kind],
        message_type=kind,
        docnum=format_docnum(docnum),
        client=partners.erp_client,
        direction="2",
        sender_port=partners.our_port,
        sender_partner_type=partners.our_partner_type,
        sender_partner=partners.our_partner,
        receiver_port=partners.erp_port,
        receiver_partner_type=partners.erp_partner_type,
        receiver_partner=partners.erp_partner,
        created_at=created_at,
        archive_key=f"{RESEND_MARK}{resends}" if resends else "",
    )


def control_as_fields(control: ControlRecord) -> dict[str, str]:
    """The control record by SAP's field names, as the admin shows it."""
    return dict(control_fields(control))


def posting_idoc(row: PostingRow, control: ControlRecord) -> Idoc | WrittenIdoc:
    if row.kind == PostingKind.SHIPMENT_CONFIRMATION:
        return delvry07_written(shipment_confirmation(row, control))
    return wmmbid02_idoc(goods_movement(row, control))


def shipment_confirmation(row: PostingRow, control: ControlRecord) -> Delivery:
    """Goods issue (PGI) for what the warehouse shipped; tracking numbers per package."""
    document = row.document
    issued = document.get("goods_issue_date")
    issued_at = datetime.combine(date.fromisoformat(issued), time.min) if issued else None
    sales_order = document.get("sales_order_number", "")
    return Delivery(
        control=control,
        delivery_number=row.delivery_number,
        actions=(POST_GOODS_ISSUE,),
        external_id=document.get("external_id", ""),
        partners=(DeliveryPartner(CARRIER, document["carrier"]),)
        if document.get("carrier")
        else (),
        dates=(DeliveryDate(GOODS_ISSUE_DATE, actual_start=issued_at),) if issued_at else (),
        items=tuple(
            DeliveryItem(
                item_number=f"{int(item['item_number']):06d}",
                material=item.get("material", ""),
                quantity=Decimal(item["quantity"]),
                unit=item.get("unit", ""),
                plant=item.get("plant", ""),
                storage_location=item.get("storage_location", ""),
                sales_order_number=sales_order,
                sales_order_item=f"{int(item['item_number']):06d}" if sales_order else "",
                actions=(ADOPT_QUANTITY,) if _is_short(item) else (),
            )
            for item in document.get("items", [])
        ),
        handling_units=tuple(
            HandlingUnit(identifier=number[:20], tracking_number=number)
            for number in document.get("tracking_numbers", [])
        ),
    )


def _is_short(item: dict) -> bool:
    """Shipped less than ordered: E1EDL19 QUA has SAP adopt the picked quantity as the
    delivery quantity, so goods issue posts for what left (a full line needs no segment)."""
    ordered = item.get("ordered_quantity")
    return ordered is not None and Decimal(item["quantity"]) < Decimal(ordered)


def goods_movement(row: PostingRow, control: ControlRecord) -> GoodsMovement:
    document = row.document
    posting_date = date.fromisoformat(document["posting_date"])
    return GoodsMovement(
        control=control,
        posting_date=posting_date,
        document_date=posting_date,
        reference=document.get("reference", "")[:16],
        header_text=document.get("header_text", "")[:25],
        items=tuple(
            GoodsMovementItem(
                movement_type=item["movement_type"],
                material=item["material"],
                plant=item["plant"],
                quantity=Decimal(item["quantity"]),
                unit=item["unit"],
                storage_location=item.get("storage_location", ""),
                text=item.get("text", "")[:50],
            )
            for item in document.get("items", [])
        ),
    )
