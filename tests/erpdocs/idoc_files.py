"""IDoc-XML the ERP would push us, written with the connector's own writer."""

from datetime import UTC, date, datetime
from decimal import Decimal

from connectors.idoc import (
    Amount,
    ControlRecord,
    DocumentReference,
    Invoice,
    InvoiceDate,
    InvoiceItem,
    InvoiceTotal,
    ItemIdentifier,
    invoic02_idoc,
    package_bytes,
)
from connectors.idoc import invoic02 as q

ERP_PORT, ERP_PARTNER, OUR_PARTNER = "SAPSBX", "SBXCLNT100", "SYNCPLAT"


def invoice(
    docnum: int,
    *,
    sales_order: str,
    delivery: str = "",
    reference: str = "",
    number: str = "",
    receiver: str = OUR_PARTNER,
    total: str = "51.13",
) -> Invoice:
    """A billing document for one T-shirt line of a sales order."""
    number = number or f"{90000000 + docnum:010d}"
    references = [
        DocumentReference(q.CUSTOMER_ORDER, reference) if reference else None,
        DocumentReference(q.SALES_ORDER, sales_order) if sales_order else None,
        DocumentReference(q.DELIVERY, delivery) if delivery else None,
        DocumentReference(q.INVOICE, number),
    ]
    return Invoice(
        control=ControlRecord(
            idoc_type=q.IDOC_TYPE,
            message_type=q.MESSAGE_TYPE,
            docnum=f"{docnum:016d}",
            direction="1",
            sender_port=ERP_PORT,
            sender_partner_type="LS",
            sender_partner=ERP_PARTNER,
            receiver_port="SYNCPLAT",
            receiver_partner_type="LS",
            receiver_partner=receiver,
            created_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC).replace(tzinfo=None),
        ),
        invoice_number=number,
        currency="USD",
        document_type="INVO",
        references=tuple(r for r in references if r),
        dates=(InvoiceDate(q.INVOICE_DATE, date(2026, 11, 25)),),
        items=(
            InvoiceItem(
                item_number="000010",
                quantity=Decimal(2),
                unit="EA",
                plant="1000",
                identifiers=(ItemIdentifier(q.MATERIAL, "MAT-100200"),),
                amounts=(
                    Amount(q.UNIT_PRICE, Decimal("19.99")),
                    Amount(q.NET_VALUE, Decimal("39.98")),
                ),
            ),
        ),
        totals=(
            InvoiceTotal(q.NET_TOTAL, Decimal("39.98"), "USD"),
            InvoiceTotal(q.TAX_TOTAL, Decimal("3.20"), "USD"),
            InvoiceTotal(q.TOTAL_DUE, Decimal(total), "USD"),
        ),
    )


def package(*invoices: Invoice) -> bytes:
    return package_bytes(invoic02_idoc(i) for i in invoices)
