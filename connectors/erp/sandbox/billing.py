"""Billing a goods-issued delivery: the billing document, its INVOIC02, the push to the platform.

Amounts come from the sales order the sandbox created, for the quantities the
SHPCON picked: per item, gross value = picked x net price, net value = gross
minus the item's discount in proportion to the picked share of the ordered
quantity, tax likewise; all rounded half up to cents. Totals (E1EDS01): 001
number of items, 010 net total, 005 tax, 011 total due = net + tax + the
order's shipping amount (billed with the one delivery an order has).

The INVOIC02 references (E1EDK02) the platform's external reference (001, the
customer's order number), the ERP's sales order (002), the delivery (012) and
the billing document itself (009); each item (E1EDP02) the sales-order item
(002) and the delivery item (016). It is addressed to the partner that sent
the SHPCON (its SNDPOR/SNDPRT/SNDPRN), as SAP's partner profile would.

Pushing: ``POST invoice_push_url`` with the IDoc-XML package, HTTP basic auth
and/or an API key header when configured. Anything but a 2xx is a failed
attempt, logged; attempts are retried ``invoice_push_attempts`` times in all,
``invoice_retry_delay_ms`` apart and doubling. The outbound IDoc ends at 03
(passed to port) or 02 (error passing to port, with the last error). While no
``invoice_push_url`` is configured, billing documents are created with their
INVOIC02 held at 30 (push state ``held``) and never pushed, so a benchmark
that posts thousands of deliveries without a platform to bill costs no pushes.
"""

import decimal
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests

from connectors.erp.sandbox.books import Books
from connectors.erp.sandbox.idoc_records import (
    BillingAmounts,
    DeliveryRecord,
    DuePush,
    IdocSettings,
    now,
)
from connectors.erp.sandbox.idoc_store import IdocStore
from connectors.erp.sandbox.sales_orders import OrderDetails, OrderedItem
from connectors.idoc import (
    Amount,
    ControlRecord,
    DocumentReference,
    Invoice,
    InvoiceDate,
    InvoiceItem,
    InvoicePartner,
    InvoiceTotal,
    ItemIdentifier,
    ItemTax,
    invoic02_idoc,
    package_bytes,
)
from connectors.idoc import invoic02 as qualifiers

logger = logging.getLogger(__name__)

CENTS = Decimal("0.01")
ERP_PORT = "SAPSBX"
ERP_LOGICAL_SYSTEM = "SBXCLNT100"
ERP_CLIENT = "100"
PLATFORM_PORT = "SYNCPLAT"  # used when the SHPCON named no sender
PLATFORM_LOGICAL_SYSTEM = "SYNCPLAT"
PUSH_TIMEOUT = (5, 30)  # seconds: connect, read


@dataclass(frozen=True)
class BilledItem:
    ordered: OrderedItem
    quantity: Decimal
    gross_value: Decimal
    net_value: Decimal
    tax_amount: Decimal


def money(value: Decimal) -> Decimal:
    with decimal.localcontext(prec=80):
        return value.quantize(CENTS, rounding=decimal.ROUND_HALF_UP)


def billed_items(details: OrderDetails, picked: dict[int, Decimal]) -> list[BilledItem]:
    """The order's items with a picked quantity above zero, priced for that quantity."""
    billed = []
    with decimal.localcontext(prec=80):
        for item in details.items:
            quantity = picked.get(item.item_number, Decimal(0))
            if quantity <= 0:
                continue
            share = quantity / item.quantity
            gross = quantity * item.net_price
            billed.append(
                BilledItem(
                    ordered=item,
                    quantity=quantity,
                    gross_value=money(gross),
                    net_value=money(gross - item.discount_amount * share),
                    tax_amount=money(item.tax_amount * share),
                )
            )
    return billed


def bill_delivery(
    books: Books,
    record: DeliveryRecord,
    details: OrderDetails,
    picked: dict[int, Decimal],
    shipment: ControlRecord,
    settings: IdocSettings,
) -> str:
    """Create the billing document and its INVOIC02 (status 30, push due after the delay;
    held, and never pushed, while no ``invoice_push_url`` is configured).

    Raises ``ConfigError``/``IdocError`` when the INVOIC02 cannot be written
    (the caller posts nothing then).
    """
    items = billed_items(details, picked)
    idoc_id, docnum = books.new_outbound_idoc(qualifiers.IDOC_TYPE, qualifiers.MESSAGE_TYPE)
    due_at = None
    if settings.invoice_push_url:
        due_at = books.now + timedelta(milliseconds=settings.invoice_delay_ms)
    number = books.new_billing_document(record.delivery_id, idoc_id, due_at)
    invoice = invoice_for(number, docnum, record, details, items, shipment, books.now)
    amounts = BillingAmounts(
        net_amount=invoice.total(qualifiers.NET_TOTAL),
        tax_amount=invoice.total(qualifiers.TAX_TOTAL),
        total_due=invoice.total(qualifiers.TOTAL_DUE),
        currency=invoice.currency,
    )
    books.complete_billing(number, amounts, package_bytes([invoic02_idoc(invoice)]))
    return number


def invoice_for(
    billing_number: str,
    docnum: str,
    record: DeliveryRecord,
    details: OrderDetails,
    items: list[BilledItem],
    shipment: ControlRecord,
    at: datetime,
) -> Invoice:
    net = sum((item.net_value for item in items), Decimal(0))
    tax = sum((item.tax_amount for item in items), Decimal(0))
    ship_to = details.ship_to
    day = at.date()
    return Invoice(
        control=ControlRecord(
            idoc_type=qualifiers.IDOC_TYPE,
            message_type=qualifiers.MESSAGE_TYPE,
            docnum=docnum,
            client=ERP_CLIENT,
            direction="1",
            status="30",
            sender_port=ERP_PORT,
            sender_partner_type="LS",
            sender_partner=ERP_LOGICAL_SYSTEM,
            receiver_port=shipment.sender_port or PLATFORM_PORT,
            receiver_partner_type=shipment.sender_partner_type or "LS",
            receiver_partner=shipment.sender_partner or PLATFORM_LOGICAL_SYSTEM,
            created_at=at.astimezone(UTC).replace(tzinfo=None),
        ),
        invoice_number=billing_number,
        currency=record.currency,
        document_type="INVO",
        partners=(
            InvoicePartner("AG", record.sold_to),
            InvoicePartner("RE", record.sold_to),
            InvoicePartner(
                "WE",
                record.sold_to,
                name=ship_to.name,
                street=ship_to.street,
                city=ship_to.city,
                postal_code=ship_to.postal_code,
                country=ship_to.country,
            ),
        ),
        references=(
            DocumentReference(qualifiers.CUSTOMER_ORDER, record.external_reference),
            DocumentReference(qualifiers.SALES_ORDER, record.sales_order_number),
            DocumentReference(qualifiers.DELIVERY, record.delivery_number),
            DocumentReference(qualifiers.INVOICE, billing_number, date=day),
        ),
        dates=(
            InvoiceDate(qualifiers.INVOICE_DATE, day),
            InvoiceDate(qualifiers.DOCUMENT_DATE, day),
        ),
        items=tuple(_invoice_item(item, record) for item in items),
        totals=(
            InvoiceTotal(qualifiers.ITEM_COUNT, Decimal(len(items))),
            InvoiceTotal(qualifiers.NET_TOTAL, net, record.currency),
            InvoiceTotal(qualifiers.TAX_TOTAL, tax, record.currency),
            InvoiceTotal(
                qualifiers.TOTAL_DUE, net + tax + money(details.shipping_amount), record.currency
            ),
        ),
    )


def _invoice_item(item: BilledItem, record: DeliveryRecord) -> InvoiceItem:
    ordered = item.ordered
    position = f"{ordered.item_number:06d}"
    return InvoiceItem(
        item_number=position,
        quantity=item.quantity,
        unit=ordered.unit,
        plant=ordered.plant,
        references=(
            DocumentReference(qualifiers.SALES_ORDER, record.sales_order_number, item=position),
            DocumentReference(qualifiers.ITEM_DELIVERY, record.delivery_number, item=position),
        ),
        identifiers=(ItemIdentifier(qualifiers.MATERIAL, ordered.material),),
        amounts=(
            Amount(qualifiers.UNIT_PRICE, ordered.net_price),
            Amount(qualifiers.GROSS_VALUE, item.gross_value),
            Amount(qualifiers.NET_VALUE, item.net_value),
        ),
        taxes=(ItemTax(ordered.tax_code, amount=item.tax_amount),) if ordered.tax_code else (),
    )


def push_invoice(
    store: IdocStore, push: DuePush, settings: IdocSettings, session: requests.Session
) -> bool:
    """One attempt to deliver a billing document's INVOIC02; True when the platform took it."""
    error = _push_error(push, settings, session)
    attempt = push.attempts + 1
    if not error:
        logger.debug("INVOIC02 %s (billing document %s) pushed", push.docnum, push.billing_number)
        store.record_push(push, "", None)
        return True
    retry_at = None
    if attempt < settings.invoice_push_attempts:
        delay = timedelta(milliseconds=settings.invoice_retry_delay_ms * 2 ** (attempt - 1))
        retry_at = now() + delay
    logger.warning(
        "INVOIC02 %s (billing document %s): push attempt %d of %d failed: %s; %s",
        push.docnum,
        push.billing_number,
        attempt,
        settings.invoice_push_attempts,
        error,
        "giving up" if retry_at is None else f"retrying at {retry_at.isoformat()}",
    )
    store.record_push(push, error, retry_at)
    return False


def _push_error(push: DuePush, settings: IdocSettings, session: requests.Session) -> str:
    """Why the push failed ("" when it did not)."""
    url = settings.invoice_push_url
    if not url:
        return "no platform inbound URL is configured (invoice_push_url)"
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    if settings.invoice_push_api_key:
        headers[settings.invoice_push_api_key_header] = settings.invoice_push_api_key
    auth = None
    if settings.invoice_push_username:
        auth = (settings.invoice_push_username, settings.invoice_push_password)
    try:
        response = session.post(
            url,
            data=push.idoc_xml,
            headers=headers,
            auth=auth,
            timeout=PUSH_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return f"POST {url} failed: {type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return ""
    return f"POST {url} answered HTTP {response.status_code}: {response.text[:200]!r}"
