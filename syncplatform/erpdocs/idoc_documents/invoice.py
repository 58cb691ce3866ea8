"""INVOIC02: a billing document from the ERP becomes an Invoice on our order."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from connectors.idoc import Idoc, read_invoic02
from connectors.idoc.invoic02 import (
    INVOICE_DATE,
    NET_TOTAL,
    TAX_TOTAL,
    UNIT_PRICE,
)
from syncplatform.orders.reads import order_ids_for_erp_references

from ..choices import ERP_INVOICE_IN, PostingKind
from ..models import Invoice, InvoiceLine, Posting
from ..services.inbound import IDOC_FILES, ReceivedIdocs
from ..services.outbound_idocs import control_as_fields


class ReceivedInvoiceLine(NamedTuple):
    item_number: str
    material: str
    quantity: Decimal | None
    unit: str
    unit_price: Decimal | None
    net_value: Decimal | None
    tax_amount: Decimal | None


class ReceivedInvoice(NamedTuple):
    """What we keep of an INVOIC02: a flat row and its lines (a file may hold 10,000)."""

    position: int
    docnum: str
    receiver_partner: str
    control: dict
    invoice_number: str
    currency: str
    sales_order_number: str
    delivery_number: str
    customer_order_number: str
    invoice_date: date | None
    net_total: Decimal | None
    tax_total: Decimal | None
    total_due: Decimal | None
    lines: tuple[ReceivedInvoiceLine, ...]


def read_invoice(idoc: Idoc) -> ReceivedInvoice:
    invoice = read_invoic02(idoc)
    dates = {d.qualifier: d.date for d in invoice.dates}
    return ReceivedInvoice(
        position=idoc.position,
        docnum=invoice.control.docnum,
        receiver_partner=invoice.control.receiver_partner,
        control=control_as_fields(invoice.control),
        invoice_number=invoice.invoice_number,
        currency=invoice.currency,
        sales_order_number=invoice.sales_order_number,
        delivery_number=invoice.delivery_number,
        customer_order_number=invoice.customer_order_number,
        invoice_date=dates.get(INVOICE_DATE),
        net_total=invoice.total(NET_TOTAL),
        tax_total=invoice.total(TAX_TOTAL),
        total_due=invoice.total_due,
        lines=tuple(
            ReceivedInvoiceLine(
                item_number=item.item_number,
                material=item.material,
                quantity=item.quantity,
                unit=item.unit,
                unit_price=item.amount(UNIT_PRICE),
                net_value=item.net_value,
                tax_amount=sum((t.amount or 0 for t in item.taxes), Decimal(0))
                if item.taxes
                else None,
            )
            for item in invoice.items
        ),
    )


def describe(invoice: ReceivedInvoice) -> str:
    return (
        f"INVOIC02 {invoice.docnum}: invoice {invoice.invoice_number}, sales order "
        f"{invoice.sales_order_number or '-'}, delivery {invoice.delivery_number or '-'}, "
        f"{invoice.total_due} {invoice.currency}"
    )


@IDOC_FILES.document(
    "INVOIC02",
    kind=ERP_INVOICE_IN,
    description="Invoice (INVOIC02) from the ERP",
    reader=read_invoice,
    describe=describe,
)
def record_invoices(received: ReceivedIdocs, invoices: list[ReceivedInvoice]) -> None:
    """Store each new invoice with its lines, linked to its order and our SHPCON.

    The order is the one whose ERP sales order number the invoice names
    (E1EDK02 002), else the one our reference names (001, ``SP-…``); an
    invoice naming neither is reported, not stored. An invoice whose DOCNUM
    was applied before is skipped (and listed as a duplicate).
    """
    erp = received.erp
    known = set(
        Invoice.objects.filter(erp=erp, docnum__in=[i.docnum for i in invoices]).values_list(
            "docnum", flat=True
        )
    )
    by_number, by_reference = order_ids_for_erp_references(
        (i.sales_order_number for i in invoices), (i.customer_order_number for i in invoices)
    )
    confirmations = dict(
        Posting.objects.filter(
            erp=erp,
            kind=PostingKind.SHIPMENT_CONFIRMATION,
            delivery_number__in={i.delivery_number for i in invoices if i.delivery_number},
        )
        .order_by("pk")
        .values_list("delivery_number", "pk")
    )
    new, lines = [], []
    for invoice in invoices:
        order_id = _order_of(received, invoice, known, by_number, by_reference)
        if order_id is None:
            continue
        known.add(invoice.docnum)
        row = _invoice_row(received, invoice, order_id, confirmations)
        new.append(row)
        lines.append(invoice.lines)
    Invoice.objects.bulk_create(new)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice_id=row.pk, **line._asdict())
        for row, invoice_lines in zip(new, lines, strict=True)
        for line in invoice_lines
    )
    received.applied += len(new)


def _order_of(received, invoice, known, by_number, by_reference) -> int | None:
    where = f"INVOIC02 IDoc {invoice.docnum or f'#{invoice.position}'}"
    if not invoice.docnum:
        received.problems.append(f"{where}: EDI_DC40-DOCNUM is missing; the IDoc is not applied")
        return None
    if invoice.docnum in known:
        received.duplicate_docnums.append(invoice.docnum)
        return None
    ours = received.config.our_partner
    if invoice.receiver_partner and ours and invoice.receiver_partner != ours:
        received.problems.append(
            f"{where}: addressed to partner {invoice.receiver_partner} (EDI_DC40-RCVPRN), "
            f"we are {ours}"
        )
        return None
    order_id = by_number.get(invoice.sales_order_number) or by_reference.get(
        invoice.customer_order_number
    )
    if order_id is None:
        received.problems.append(
            f"{where}: invoice {invoice.invoice_number} references sales order "
            f"{invoice.sales_order_number or '-'} (E1EDK02 002) and order "
            f"{invoice.customer_order_number or '-'} (E1EDK02 001): no order of ours"
        )
    return order_id


def _invoice_row(received, invoice, order_id, confirmations) -> Invoice:
    return Invoice(
        erp=received.erp,
        file=received.file,
        docnum=invoice.docnum,
        invoice_number=invoice.invoice_number,
        order_id=order_id,
        shipment_confirmation_id=confirmations.get(invoice.delivery_number),
        sales_order_number=invoice.sales_order_number,
        delivery_number=invoice.delivery_number,
        customer_order_number=invoice.customer_order_number,
        currency=invoice.currency,
        invoice_date=invoice.invoice_date,
        net_total=invoice.net_total,
        tax_total=invoice.tax_total,
        total_due=invoice.total_due,
        control=invoice.control,
    )
