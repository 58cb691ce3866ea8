"""INVOIC02: a billing document from the ERP becomes an Invoice on our order."""

import json
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

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
    new = []
    for invoice in invoices:
        order_id = _order_of(received, invoice, known, by_number, by_reference)
        if order_id is not None:
            known.add(invoice.docnum)
            new.append((invoice, order_id, confirmations.get(invoice.delivery_number)))
    store_invoices(received, new)
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


INVOICE_COLUMNS = (
    ("docnum", "text"),
    ("invoice_number", "text"),
    ("order_id", "bigint"),
    ("shipment_confirmation_id", "bigint"),
    ("sales_order_number", "text"),
    ("delivery_number", "text"),
    ("customer_order_number", "text"),
    ("currency", "text"),
    ("invoice_date", "date"),
    ("net_total", "numeric"),
    ("tax_total", "numeric"),
    ("total_due", "numeric"),
    ("control", "jsonb"),
)
LINE_COLUMNS = (
    ("invoice_id", "bigint"),
    ("item_number", "text"),
    ("material", "text"),
    ("quantity", "numeric"),
    ("unit", "text"),
    ("unit_price", "numeric"),
    ("net_value", "numeric"),
    ("tax_amount", "numeric"),
)


def store_invoices(received: ReceivedIdocs, new: list[tuple]) -> None:
    """The invoices ``(invoice, order id, SHPCON id)`` and their lines, in two statements.

    On PostgreSQL each table gets one INSERT over a JSON parameter: through
    ``bulk_create`` the model instances of 10,000 invoices and their lines cost
    more than parsing the INVOIC02s (bench/idoc_posting.py). SQLite, the
    embedded default, takes the ORM's way.
    """
    if not new:
        return
    if connection.vendor != "postgresql":
        rows = [_invoice_row(received, *item) for item in new]
        Invoice.objects.bulk_create(rows)
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice_id=row.pk, **line._asdict())
            for row, (invoice, _, _) in zip(rows, new, strict=True)
            for line in invoice.lines
        )
        return
    now = timezone.now().isoformat()
    invoices = [
        {**_values(invoice), "order_id": order_id, "shipment_confirmation_id": confirmation}
        for invoice, order_id, confirmation in new
    ]
    ids = dict(
        _insert(
            "erpdocs_invoice",
            INVOICE_COLUMNS,
            invoices,
            {"erp_id": received.erp.pk, "file_id": received.file.pk, "created_at": now},
            returning="docnum, id",
        )
    )
    lines = [
        {"invoice_id": ids[invoice.docnum], **_line_values(line)}
        for invoice, _, _ in new
        for line in invoice.lines
    ]
    _insert("erpdocs_invoiceline", LINE_COLUMNS, lines, {})


def _insert(table, columns, rows, constants: dict, returning: str = "") -> list[tuple]:
    names = [name for name, _ in columns]
    fixed = [name for name in constants if name != "created_at"]
    stamps = ["created_at", "updated_at"] if "created_at" in constants else []
    sql = (
        f"INSERT INTO {table} ({', '.join([*names, *fixed, *stamps])})"  # noqa: S608 - our names
        f" SELECT {', '.join(['t.' + n for n in names] + ['%s'] * (len(fixed) + len(stamps)))}"
        f" FROM json_to_recordset(%s::json) AS t"
        f" ({', '.join(f'{n} {t}' for n, t in columns)})"
        + (f" RETURNING {returning}" if returning else "")
    )
    stamp_values = [constants["created_at"]] * 2 if stamps else []
    parameters = [*(constants[n] for n in fixed), *stamp_values, json.dumps(rows, default=str)]
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall() if returning else []


def _values(invoice: ReceivedInvoice) -> dict:
    return {
        name: getattr(invoice, name)
        for name, _ in INVOICE_COLUMNS
        if name not in ("order_id", "shipment_confirmation_id")
    }


def _line_values(line: ReceivedInvoiceLine) -> dict:
    return line._asdict()


def _invoice_row(received, invoice, order_id, confirmation) -> Invoice:
    return Invoice(
        erp=received.erp,
        file=received.file,
        order_id=order_id,
        shipment_confirmation_id=confirmation,
        **_values(invoice),
    )
