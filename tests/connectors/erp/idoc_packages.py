"""Builders for the sandbox ERP's IDoc tests: sales orders to deliver, SHPCON and WMMBXY
packages, and waiting for the ERP to post them."""

import random
import time
import uuid
from datetime import date, datetime
from decimal import Decimal

from connectors.erp.client import ErpClient
from connectors.erp.idoc_client import IdocClient, IdocStatus
from connectors.erp.models import Address, SalesOrder, SalesOrderConfirmation, SalesOrderItem
from connectors.idoc import (
    ControlRecord,
    Delivery,
    DeliveryDate,
    DeliveryItem,
    GoodsMovement,
    GoodsMovementItem,
    HandlingUnit,
    delvry07_idoc,
    format_docnum,
    package_bytes,
    wmmbid02_idoc,
)

SHIP_TO = Address(
    name="Pat Doe",
    street="1 Main St",
    street2="",
    city="Columbus",
    region="OH",
    postal_code="43004",
    country="US",
    phone="",
    email="",
)
IDOC_DEFAULTS = {
    "processing_delay_ms": 0,
    "invoice_delay_ms": 1000,
    "invoice_push_url": "",
    "invoice_push_username": "",
    "invoice_push_password": "",
    "invoice_push_api_key_header": "X-API-Key",
    "invoice_push_api_key": "",
    "invoice_push_attempts": 5,
    "invoice_retry_delay_ms": 2000,
}
# (item number, material, quantity, net price, tax, discount) of the order every test posts
ORDER_ITEMS = (
    (10, "TSHIRT-BLK-M", "2", "19.99", "3.20", "1.00"),
    (20, "MUG-WHT", "3", "8.50", "2.04", "0.00"),
)


def an_external_reference() -> str:
    """Ours, as the platform writes it: SP- and 10 digits."""
    return f"SP-{random.randrange(10**10):010d}"


def a_message_id() -> str:
    return uuid.uuid4().hex


def create_sales_order(erp, reference: str | None = None) -> SalesOrderConfirmation:
    """A sales order with ORDER_ITEMS in the sandbox ERP (with its delivery)."""
    items = tuple(
        SalesOrderItem(
            item_number=number,
            material=material,
            quantity=Decimal(quantity),
            unit="EA",
            plant="1000",
            storage_location="0001",
            net_price=Decimal(price),
            tax_code="A1",
            tax_amount=Decimal(tax),
            discount_amount=Decimal(discount),
        )
        for number, material, quantity, price, tax, discount in ORDER_ITEMS
    )
    order = SalesOrder(
        external_reference=reference or an_external_reference(),
        sold_to="0000100778",
        ship_to=SHIP_TO,
        currency="USD",
        order_date=date(2026, 11, 23),
        shipping_condition="01",
        shipping_amount=Decimal("7.95"),
        items=items,
        sales_organisation="1000",
        distribution_channel="10",
    )
    with ErpClient(erp.wsdl_url, erp.username, erp.password, timeout=5) as client:
        return client.create_sales_order(order)


def control(idoc_type: str, message_type: str, number: int) -> ControlRecord:
    """What the platform sends the ERP: inbound there, from our logical system."""
    return ControlRecord(
        idoc_type=idoc_type,
        message_type=message_type,
        docnum=format_docnum(number),
        sender_port="SYNCPLAT",
        sender_partner_type="LS",
        sender_partner="SYNCPLAT",
        receiver_port="SAPSBX",
        receiver_partner_type="LS",
        receiver_partner="SBXCLNT100",
        created_at=datetime(2026, 11, 24, 9, 15),
        direction="2",
    )


def shipment_confirmation(
    delivery_number: str,
    picked: dict[int, str],
    *,
    number: int = 1,
    goods_issue: bool = True,
) -> Delivery:
    """A SHPCON for ``delivery_number``: item number -> picked quantity, PGI unless told."""
    materials = {item[0]: item[1] for item in ORDER_ITEMS}
    return Delivery(
        control=control("DELVRY07", "SHPCON", number),
        delivery_number=delivery_number,
        actions=("PGI",) if goods_issue else ("PIC",),
        dates=(DeliveryDate("006", actual_start=datetime(2026, 11, 24, 8, 40)),),
        items=tuple(
            DeliveryItem(
                item_number=f"{item:06d}",
                material=materials.get(item, "OTHER"),
                quantity=Decimal(quantity),
                unit="EA",
                plant="1000",
            )
            for item, quantity in picked.items()
        ),
        handling_units=(HandlingUnit("00012345670000000017", tracking_number="1Z999AA1012345678"),),
    )


def goods_movement(
    items: list[tuple[str, str, str, str]], *, number: int = 1, unit: str = "EA"
) -> GoodsMovement:
    """A WMMBXY: (movement type, material, plant, quantity) per item."""
    return GoodsMovement(
        control=control("WMMBID02", "WMMBXY", number),
        posting_date=date(2026, 11, 24),
        items=tuple(
            GoodsMovementItem(movement_type, material, plant, Decimal(quantity), unit)
            for movement_type, material, plant, quantity in items
        ),
        reference="846-20261124-0001",
    )


def package(*documents, soap: bool = False) -> bytes:
    to_idoc = {Delivery: delvry07_idoc, GoodsMovement: wmmbid02_idoc}
    return package_bytes([to_idoc[type(d)](d) for d in documents], soap=soap)


def idoc_client(erp) -> IdocClient:
    return IdocClient(erp.base_url, erp.username, erp.password, timeout=10)


def wait_for_final(client: IdocClient, docnums: list[str], timeout: float = 15) -> list[IdocStatus]:
    """The statuses once every IDoc has left 64 (posted or not)."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = client.statuses(docnums)
        if len(statuses) == len(docnums) and all(status.is_final for status in statuses):
            return statuses
        if time.monotonic() > deadline:
            waiting = [s for s in statuses if not s.is_final][:3]
            raise AssertionError(f"IDocs still not posted after {timeout}s, e.g. {waiting}")
        time.sleep(0.05)
