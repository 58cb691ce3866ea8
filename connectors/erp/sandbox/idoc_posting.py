"""Posting received IDocs, as SAP's inbound function modules would: status 53 or 51.

Each IDoc is posted in its own transaction (``IdocStore.posting``): the checks,
the documents it creates and its new status commit together, so an IDoc is
never half posted and never posted twice. A refusal (:class:`NotPosted`) rolls
back what the posting had written and leaves status 51 with SAP-like text.

``DELVRY07`` / ``SHPCON`` (shipment confirmation):

* E1EDL20-VBELN must be a delivery of this ERP (leading zeros optional) whose
  goods issue is not posted yet;
* every E1EDL24 item (POSNR = the sales-order item number) must exist in the
  delivery, with the delivery's material and unit when given, and a picked
  quantity (LFIMG) from 0 up to the ordered quantity (items split by batch
  add up);
* with E1EDL18 QUALF ``PGI``: goods issue is posted for the picked
  quantities (a material document; stock kept for the material and plant is
  reduced, and may go below zero), and the delivery is billed
  (:mod:`connectors.erp.sandbox.billing`), its INVOIC02 pushed later;
  without ``PGI`` only the picking is confirmed and nothing is stored.

``WMMBID02`` / ``WMMBXY`` (goods movements): each item's material must be
kept in its plant (seeded stock), in its unit, with movement type 701 (gain)
or 702 (loss), and no loss may take stock below zero; then one material
document posts all items.

Any other message type ends in 51 ("no inbound processing").
"""

import logging
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from connectors.erp.idoc_service import IdocStatusCode
from connectors.erp.sandbox.billing import bill_delivery
from connectors.erp.sandbox.books import Books
from connectors.erp.sandbox.idoc_records import (
    ClaimedMessage,
    IdocSettings,
    StockLevel,
    quantity_text,
)
from connectors.erp.sandbox.idoc_store import IdocStore
from connectors.erp.sandbox.sales_orders import OrderedItem, order_details
from connectors.errors import ConfigError
from connectors.idoc import Delivery, GoodsMovement, IdocError, read_package
from connectors.idoc.delvry07 import SHIPMENT_CONFIRMATION
from connectors.idoc.wmmbid02 import INVENTORY_GAIN, INVENTORY_LOSS
from connectors.idoc.wmmbid02 import MESSAGE_TYPE as GOODS_MOVEMENT

logger = logging.getLogger(__name__)

MESSAGE_LEASE = timedelta(seconds=60)


class NotPosted(Exception):
    """The application refused the IDoc; the text is the status 51 message."""


def process_message(store: IdocStore, message: ClaimedMessage, settings: IdocSettings) -> None:
    """Post each IDoc of a package that is still at 64, in package order; then mark it done."""
    try:
        for position, document in enumerate(read_package(message.package), start=1):
            idoc_id = message.pending.get(position)
            if idoc_id is not None:
                post_idoc(store, idoc_id, document, settings)
    except IdocError as error:  # the package was read whole when received: never expected
        logger.exception("a stored IDoc package could not be read again")
        for idoc_id in message.pending.values():
            with store.posting() as books:
                if books.status_of(idoc_id) == IdocStatusCode.READY_FOR_APPLICATION:
                    books.set_status(
                        idoc_id, IdocStatusCode.NOT_POSTED, f"IDoc unreadable: {error}"
                    )
    store.finish_message(message.pk)


def post_idoc(store: IdocStore, idoc_id: int, document: object, settings: IdocSettings) -> None:
    """Post one IDoc (status 53) or refuse it (51); nothing when it is no longer at 64."""
    with store.posting() as books:
        if books.status_of(idoc_id) != IdocStatusCode.READY_FOR_APPLICATION:
            return
        try:
            with books.savepoint():
                text = _post(books, idoc_id, document, settings)
        except NotPosted as refusal:
            books.set_status(idoc_id, IdocStatusCode.NOT_POSTED, str(refusal))
        except Exception as error:  # a bug here must not leave the IDoc at 64 for ever
            logger.exception("posting IDoc row %s failed", idoc_id)
            books.set_status(
                idoc_id,
                IdocStatusCode.NOT_POSTED,
                f"Internal error in the sandbox ERP: {type(error).__name__}: {error}",
            )
        else:
            books.set_status(idoc_id, IdocStatusCode.POSTED, text)


def _post(books: Books, idoc_id: int, document: object, settings: IdocSettings) -> str:
    control = document.control
    if isinstance(document, Delivery) and control.message_type == SHIPMENT_CONFIRMATION:
        return post_shipment_confirmation(books, idoc_id, document, settings)
    if isinstance(document, GoodsMovement) and control.message_type == GOODS_MOVEMENT:
        return post_goods_movement(books, idoc_id, document)
    raise NotPosted(
        f"No inbound processing for message type {control.message_type}"
        f" (IDoc type {control.idoc_type}) in this ERP"
    )


def post_shipment_confirmation(
    books: Books, idoc_id: int, delivery: Delivery, settings: IdocSettings
) -> str:
    number = delivery.delivery_number
    record = books.delivery(number)
    if record is None:
        raise NotPosted(f"Delivery {number} does not exist")
    number = record.delivery_number
    if record.goods_issued_at:
        raise NotPosted(
            f"Goods issue for delivery {number} has already been posted"
            f" (material document {record.material_document})"
        )
    details = order_details(record.request_xml)
    picked = picked_quantities(delivery, {i.item_number: i for i in details.items}, number)
    if not delivery.is_goods_issue:
        return f"Delivery {number}: picking confirmed for {len(picked)} items (no goods issue)"
    if not any(picked.values()):
        raise NotPosted(f"Delivery {number}: nothing picked, so no goods issue can be posted")
    material_document = books.new_material_document(idoc_id)
    _reduce_stock(books, details.items, picked)
    books.post_goods_issue(
        record.delivery_id, delivery.goods_issued_at or books.now, material_document, picked
    )
    try:
        billing_number = bill_delivery(books, record, details, picked, delivery.control, settings)
    except (ConfigError, IdocError) as error:
        raise NotPosted(
            f"Billing document for delivery {number} cannot be output: {error}"
        ) from None
    return (
        f"Goods issue posted for delivery {number} (material document {material_document});"
        f" billing document {billing_number} created"
    )


def picked_quantities(
    delivery: Delivery, ordered: dict[int, OrderedItem], number: str
) -> dict[int, Decimal]:
    """Picked quantity per sales-order item number; NotPosted naming the first bad item."""
    picked: dict[int, Decimal] = {}
    for item in delivery.items:
        where = f"Item {item.item_number} of delivery {number}"
        line = ordered.get(int(item.item_number))
        if line is None:
            raise NotPosted(f"Item {item.item_number} does not exist in delivery {number}")
        if item.material and item.material != line.material:
            raise NotPosted(f"{where} is material {line.material}, not {item.material}")
        if item.unit and item.unit != line.unit:
            raise NotPosted(f"{where} is delivered in {line.unit}, not in {item.unit}")
        if item.quantity is None or item.quantity < 0:
            raise NotPosted(f"{where} has no valid picked quantity (E1EDL24-LFIMG)")
        total = picked.get(line.item_number, Decimal(0)) + item.quantity
        if total > line.quantity:
            raise NotPosted(
                f"Picked quantity {quantity_text(total)} {line.unit} of item {item.item_number}"
                f" exceeds the delivery quantity {quantity_text(line.quantity)} {line.unit}"
                f" (delivery {number})"
            )
        picked[line.item_number] = total
    return picked


def _reduce_stock(books: Books, items: tuple[OrderedItem, ...], picked: dict) -> None:
    for item in items:
        quantity = picked.get(item.item_number)
        level = books.stock(item.material, item.plant) if quantity else None
        if level is not None:
            books.set_stock(replace(level, quantity=level.quantity - quantity))


def post_goods_movement(books: Books, idoc_id: int, movement: GoodsMovement) -> str:
    levels: dict[tuple[str, str], StockLevel] = {}
    for item in movement.items:
        material, plant = item.material, item.plant
        if item.movement_type not in (INVENTORY_GAIN, INVENTORY_LOSS):
            raise NotPosted(
                f"Movement type {item.movement_type} is not allowed for WMMBXY;"
                f" use {INVENTORY_GAIN} (inventory gain) or {INVENTORY_LOSS} (inventory loss)"
            )
        level = levels.get((material, plant)) or books.stock(material, plant)
        if level is None:
            raise NotPosted(f"Material {material} is not maintained in plant {plant}")
        if item.unit != level.unit:
            raise NotPosted(f"Unit {item.unit} is not the base unit {level.unit} of {material}")
        remaining = level.quantity + item.signed_quantity
        if remaining < 0:
            raise NotPosted(
                f"Deficit of unrestricted-use stock {quantity_text(-remaining)} {level.unit}:"
                f" material {material}, plant {plant}"
            )
        levels[(material, plant)] = replace(level, quantity=remaining)
    document = books.new_material_document(idoc_id)
    for level in levels.values():
        books.set_stock(level)
    return f"Material document {document} posted ({len(movement.items)} items)"
