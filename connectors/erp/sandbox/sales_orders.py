"""The sandbox ERP's two operations: create a sales order, find one by external reference.

Each takes the request payload element (already out of its SOAP envelope) and
returns the response payload element, or raises :class:`SoapFault`. Creation is
not idempotent: a second create with the same ExternalReference is refused
with DUPLICATE_EXTERNAL_REFERENCE naming the first document. Every created
order gets its outbound delivery at once (SAP's immediate delivery); both
answers name it in ``DeliveryID``.

:func:`order_details` reads a stored order back (items, ship-to, shipping) for
the delivery checks and the billing of :mod:`connectors.erp.sandbox.idoc_posting`.

Both answers carry the order's value as SAP confirms it: ``TotalNetAmount``
(items less discounts plus shipping, no tax) and ``TotalTaxAmount``, in
``CurrencyCode``; a configured per-material price difference
(``POST /_sandbox/config {"price_differences": ...}``) moves the net value away
from what the channel sent, as a differing price condition in the ERP would.
"""

import decimal
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from connectors.erp.sales_order_service import NAMESPACE, FaultCode
from connectors.erp.sandbox.service_description import request_schema
from connectors.erp.sandbox.soap import SoapFault, safe_parser
from connectors.erp.sandbox.store import (
    DuplicateExternalReference,
    FaultInjection,
    SandboxStore,
    StoredSalesOrder,
)

NS = {"n0": NAMESPACE}
CREATE_REQUEST = f"{{{NAMESPACE}}}SalesOrderCreateRequest"
QUERY_REQUEST = f"{{{NAMESPACE}}}SalesOrderByExternalReferenceQuery"
BLOCKED_MATERIAL_PREFIX = "BLOCKED-"
"""Materials named like this are blocked for sales: a permanent refusal tests can trigger."""
AMOUNT_PLACES = Decimal("0.000001")  # the WSDL's Amount has 6 fraction digits


@dataclass(frozen=True)
class ReceivedItem:
    item_id: str
    material: str
    quantity: Decimal
    net_price: Decimal
    tax_amount: Decimal
    discount_amount: Decimal


@dataclass(frozen=True)
class OrderedItem:
    """A sales-order item as the sandbox stored it; quantities in ``unit``."""

    item_number: int
    material: str
    quantity: Decimal
    unit: str
    plant: str
    storage_location: str
    net_price: Decimal
    tax_code: str
    tax_amount: Decimal
    discount_amount: Decimal


@dataclass(frozen=True)
class ShipTo:
    name: str
    street: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class OrderDetails:
    items: tuple[OrderedItem, ...]
    ship_to: ShipTo
    shipping_amount: Decimal
    sales_organisation: str


def _text(element: etree._Element, path: str) -> str:
    return element.findtext(path, namespaces=NS)


def order_details(request_xml: bytes) -> OrderDetails:
    """Items, ship-to and shipping of a stored ``SalesOrderCreateRequest`` (schema-valid)."""
    order = etree.fromstring(request_xml, safe_parser()).find("n0:SalesOrder", NS)
    address = order.find("n0:ShipToParty/n0:Address", NS)
    items = tuple(
        OrderedItem(
            item_number=int(_text(item, "n0:ItemID")),
            material=_text(item, "n0:Material"),
            quantity=Decimal(_text(item, "n0:RequestedQuantity")),
            unit=item.find("n0:RequestedQuantity", NS).get("unitCode"),
            plant=_text(item, "n0:Plant"),
            storage_location=_text(item, "n0:StorageLocation") or "",
            net_price=Decimal(_text(item, "n0:NetPrice")),
            tax_code=_text(item, "n0:TaxCode") or "",
            tax_amount=Decimal(_text(item, "n0:TaxAmount")),
            discount_amount=Decimal(_text(item, "n0:DiscountAmount")),
        )
        for item in order.iterfind("n0:Item", NS)
    )
    return OrderDetails(
        items=items,
        ship_to=ShipTo(
            name=_text(address, "n0:Name"),
            street=_text(address, "n0:StreetName"),
            city=_text(address, "n0:CityName"),
            postal_code=_text(address, "n0:PostalCode") or "",
            country=_text(address, "n0:CountryCode"),
        ),
        shipping_amount=Decimal(_text(order, "n0:ShippingAmount")),
        sales_organisation=_text(order, "n0:SalesOrganisation") or "",
    )


def _check_schema(payload: etree._Element) -> None:
    schema = request_schema()
    if not schema.validate(payload):
        error = schema.error_log.last_error
        message = error.message.replace(f"{{{NAMESPACE}}}", "")
        raise SoapFault(FaultCode.VALIDATION, f"request does not match the WSDL: {message}")


def _received_items(sales_order: etree._Element) -> list[ReceivedItem]:
    return [
        ReceivedItem(
            item_id=_text(item, "n0:ItemID"),
            material=_text(item, "n0:Material"),
            quantity=Decimal(_text(item, "n0:RequestedQuantity")),
            net_price=Decimal(_text(item, "n0:NetPrice")),
            tax_amount=Decimal(_text(item, "n0:TaxAmount")),
            discount_amount=Decimal(_text(item, "n0:DiscountAmount")),
        )
        for item in sales_order.iterfind("n0:Item", NS)
    ]


def _check_business_rules(items: list[ReceivedItem]) -> None:
    seen: set[int] = set()
    for item in items:
        where = f"item {item.item_id}"
        if int(item.item_id) in seen:
            raise SoapFault(FaultCode.VALIDATION, f"{where}: ItemID is used twice in the order")
        seen.add(int(item.item_id))
        if item.material.startswith(BLOCKED_MATERIAL_PREFIX):
            raise SoapFault(
                FaultCode.VALIDATION,
                f"{where}: material {item.material} is blocked for sales",
            )
        if item.quantity <= 0:
            raise SoapFault(
                FaultCode.VALIDATION,
                f"{where}: quantity must be greater than zero, got {item.quantity}",
            )
        amounts = {
            "NetPrice": item.net_price,
            "TaxAmount": item.tax_amount,
            "DiscountAmount": item.discount_amount,
        }
        for name, amount in amounts.items():
            if amount < 0:
                raise SoapFault(FaultCode.VALIDATION, f"{where}: {name} must not be negative")


def _net_amount(items: list[ReceivedItem]) -> Decimal:
    # Quantities (14 places) times prices (6 places) outgrow the default 28 digits.
    with decimal.localcontext(prec=80):
        total = sum((i.quantity * i.net_price - i.discount_amount for i in items), Decimal(0))
        return total.quantize(AMOUNT_PLACES, rounding=decimal.ROUND_HALF_UP).normalize()


def _order_value(
    items: list[ReceivedItem], shipping_amount: Decimal, price_differences: dict[str, Decimal]
) -> tuple[Decimal, Decimal]:
    """(TotalNetAmount, TotalTaxAmount) as SAP's pricing would confirm them.

    Net is every item at the ERP's price (the NetPrice sent plus the material's
    configured price difference, normally none) less its discount, plus the
    shipping (a freight condition counts into SAP's net value); tax is the
    items' TaxAmount. Without price differences, net + tax is the channel's
    grand total for the same order.
    """
    with decimal.localcontext(prec=80):
        net = shipping_amount + sum(
            (
                i.quantity * (i.net_price + price_differences.get(i.material, Decimal(0)))
                - i.discount_amount
                for i in items
            ),
            Decimal(0),
        )
        tax = sum((i.tax_amount for i in items), Decimal(0))
        return tuple(
            amount.quantize(AMOUNT_PLACES, rounding=decimal.ROUND_HALF_UP).normalize()
            for amount in (net, tax)
        )


def _summary(parent: etree._Element, document: StoredSalesOrder) -> None:
    sales_order = etree.SubElement(parent, f"{{{NAMESPACE}}}SalesOrder")
    for name, value in (
        ("SalesOrderID", document.document_number),
        ("ExternalReference", document.external_reference),
        ("CreationDateTime", document.created_at.isoformat()),
        ("ItemCount", str(document.item_count)),
        ("NetAmount", format(document.net_amount, "f")),
        ("CurrencyCode", document.currency),
        ("DeliveryID", document.delivery_number),
        ("TotalNetAmount", _amount_text(document.total_net_amount)),
        ("TotalTaxAmount", _amount_text(document.total_tax_amount)),
    ):
        if value:
            etree.SubElement(sales_order, f"{{{NAMESPACE}}}{name}").text = value


def _amount_text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def create_sales_order(
    store: SandboxStore, payload: etree._Element, faults: FaultInjection
) -> etree._Element:
    """Validate, maybe inject a fault, store, maybe stall after the commit, confirm."""
    _check_schema(payload)
    sales_order = payload.find("n0:SalesOrder", NS)
    items = _received_items(sales_order)
    _check_business_rules(items)
    if faults.fault_rate and random.random() < faults.fault_rate:
        raise SoapFault(FaultCode.INJECTED, "injected fault: nothing was stored, try again")
    total_net_amount, total_tax_amount = _order_value(
        items, Decimal(_text(sales_order, "n0:ShippingAmount")), store.price_differences()
    )
    try:
        document = store.insert_sales_order(
            external_reference=_text(sales_order, "n0:ExternalReference"),
            sold_to=_text(sales_order, "n0:SoldToParty"),
            currency=_text(sales_order, "n0:CurrencyCode"),
            item_count=len(items),
            net_amount=_net_amount(items),
            request_xml=etree.tostring(payload),
            total_net_amount=total_net_amount,
            total_tax_amount=total_tax_amount,
        )
    except DuplicateExternalReference as duplicate:
        existing = duplicate.existing
        raise SoapFault(
            FaultCode.DUPLICATE_EXTERNAL_REFERENCE,
            f"external reference {existing.external_reference} is already used by sales order"
            f" {existing.document_number}",
            existing_document_number=existing.document_number,
        ) from None
    if faults.timeout_after_commit_ms:
        time.sleep(faults.timeout_after_commit_ms / 1000)
    confirmation = etree.Element(f"{{{NAMESPACE}}}SalesOrderCreateConfirmation", nsmap=NS)
    _summary(confirmation, document)
    return confirmation


def find_sales_order(store: SandboxStore, payload: etree._Element) -> etree._Element:
    """Read-only: the document with the requested ExternalReference, or an empty response."""
    _check_schema(payload)
    reference = _text(payload, "n0:SalesOrderSelectionByExternalReference/n0:ExternalReference")
    response = etree.Element(f"{{{NAMESPACE}}}SalesOrderByExternalReferenceResponse", nsmap=NS)
    document = store.find_sales_order(reference)
    if document is not None:
        _summary(response, document)
    return response


def answer(store: SandboxStore, payload: etree._Element, faults: FaultInjection) -> etree._Element:
    """Dispatch on the payload element, as document/literal SOAP does."""
    if payload.tag == CREATE_REQUEST:
        return create_sales_order(store, payload, faults)
    if payload.tag == QUERY_REQUEST:
        return find_sales_order(store, payload)
    raise SoapFault(
        FaultCode.UNKNOWN_OPERATION,
        f"{payload.tag} is not a request of this service; see the WSDL",
    )
