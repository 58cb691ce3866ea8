"""INVOIC02, message type INVOIC: billing documents from the ERP.

SAP sends one per billing document; finance reconciles them against orders.
Segments read (and written, for the sandbox ERP and the benchmarks):

* ``E1EDK01`` header (mandatory): BELNR billing document number and CURCY
  currency (both mandatory), BSART document type (INVO), ZTERM payment terms.
* ``E1EDKA1`` partners: PARVW role (``AG`` sold-to, ``RE`` bill-to, ``RG``
  payer, ``WE`` ship-to, ``RS`` invoicing party), PARTN, NAME1, STRAS, ORT01,
  PSTLZ, LAND1.
* ``E1EDK02`` references, QUALF + BELNR (+ POSNR, DATUM): ``001`` the
  customer's order number (our channel order number), ``002`` SAP's sales
  order (the ``erp_document_number`` we stored when posting the order),
  ``012`` the delivery, ``009`` the billing document itself.
* ``E1EDK03`` dates, IDDAT + DATUM: ``012`` document date, ``026`` invoice date.
* ``E1EDP01`` items: POSEX (mandatory), MENGE/MENEE quantity, WERKS, with
  ``E1EDP02`` references (QUALF + BELNR + ZEILE item: ``002`` sales order,
  ``016`` delivery), ``E1EDP19`` ids (QUALF + IDTNR: ``002`` SAP material,
  ``003`` EAN, ``001`` the customer's material), ``E1EDP26`` amounts (QUALF +
  BETRG: ``001`` unit price, ``002`` gross value, ``003`` net value) and
  ``E1EDP04`` taxes (MWSKZ code, MSATZ rate, MWSBT amount).
* ``E1EDS01`` totals, SUMID + SUMME (+ WAERQ): ``001`` number of items,
  ``005`` tax, ``010`` net total, ``011`` total due.

The qualifiers are SAP's standard (domain EDI_QUALFR and friends); the
shared INVOIC02 sample fills them that way (its 002 sales order and 012
delivery are the numbers its items repeat under 002 and 016).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from connectors.errors import ConfigError
from connectors.idoc.control import ControlRecord
from connectors.idoc.segments import Idoc, Segment, build_segment, building
from connectors.idoc.writing import write_idocs

IDOC_TYPE = "INVOIC02"
MESSAGE_TYPE = "INVOIC"
# E1EDK02 / E1EDP02 QUALF
CUSTOMER_ORDER = "001"
SALES_ORDER = "002"
INVOICE = "009"
DELIVERY = "012"
ITEM_DELIVERY = "016"
# E1EDK03 IDDAT
DOCUMENT_DATE = "012"
INVOICE_DATE = "026"
# E1EDP19 QUALF
CUSTOMER_MATERIAL = "001"
MATERIAL = "002"
EAN = "003"
# E1EDP26 QUALF
UNIT_PRICE = "001"
GROSS_VALUE = "002"
NET_VALUE = "003"
# E1EDS01 SUMID
ITEM_COUNT = "001"
TAX_TOTAL = "005"
NET_TOTAL = "010"
TOTAL_DUE = "011"


@dataclass(frozen=True)
class InvoicePartner:
    role: str
    number: str = ""
    name: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class DocumentReference:
    qualifier: str
    number: str
    item: str = ""
    date: date | None = None


@dataclass(frozen=True)
class InvoiceDate:
    qualifier: str
    date: date


@dataclass(frozen=True)
class ItemIdentifier:
    qualifier: str
    identifier: str
    description: str = ""


@dataclass(frozen=True)
class Amount:
    qualifier: str
    amount: Decimal


@dataclass(frozen=True)
class ItemTax:
    code: str
    rate: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class InvoiceTotal:
    qualifier: str
    amount: Decimal
    currency: str = ""


@dataclass(frozen=True)
class InvoiceItem:
    item_number: str
    quantity: Decimal | None = None
    unit: str = ""
    plant: str = ""
    references: tuple[DocumentReference, ...] = ()
    identifiers: tuple[ItemIdentifier, ...] = ()
    amounts: tuple[Amount, ...] = ()
    taxes: tuple[ItemTax, ...] = ()

    def reference(self, qualifier: str) -> str:
        return next((r.number for r in self.references if r.qualifier == qualifier), "")

    def identifier(self, qualifier: str) -> str:
        return next((i.identifier for i in self.identifiers if i.qualifier == qualifier), "")

    def amount(self, qualifier: str) -> Decimal | None:
        return next((a.amount for a in self.amounts if a.qualifier == qualifier), None)

    @property
    def material(self) -> str:
        return self.identifier(MATERIAL)

    @property
    def net_value(self) -> Decimal | None:
        return self.amount(NET_VALUE)


@dataclass(frozen=True)
class Invoice:
    control: ControlRecord
    invoice_number: str
    currency: str
    document_type: str = ""
    payment_terms: str = ""
    partners: tuple[InvoicePartner, ...] = ()
    references: tuple[DocumentReference, ...] = ()
    dates: tuple[InvoiceDate, ...] = ()
    items: tuple[InvoiceItem, ...] = ()
    totals: tuple[InvoiceTotal, ...] = ()

    def reference(self, qualifier: str) -> str:
        """The first E1EDK02 number with ``qualifier`` ("" when there is none)."""
        return next((r.number for r in self.references if r.qualifier == qualifier), "")

    def total(self, qualifier: str) -> Decimal | None:
        return next((t.amount for t in self.totals if t.qualifier == qualifier), None)

    @property
    def sales_order_number(self) -> str:
        return self.reference(SALES_ORDER)

    @property
    def delivery_number(self) -> str:
        return self.reference(DELIVERY)

    @property
    def customer_order_number(self) -> str:
        return self.reference(CUSTOMER_ORDER)

    @property
    def total_due(self) -> Decimal | None:
        return self.total(TOTAL_DUE)


# -- reading ---------------------------------------------------------------


def read_invoic02(idoc: Idoc) -> Invoice:
    """The billing document of an INVOIC02 IDoc."""
    header = idoc.only("E1EDK01", required=True)
    return Invoice(
        control=idoc.control,
        invoice_number=header.text("BELNR", required=True),
        currency=header.text("CURCY", required=True),
        document_type=header.text("BSART"),
        payment_terms=header.text("ZTERM"),
        partners=tuple(_partner(s) for s in idoc.each("E1EDKA1")),
        references=tuple(_reference(s, "POSNR") for s in idoc.each("E1EDK02")),
        dates=tuple(
            InvoiceDate(s.text("IDDAT", required=True), s.date("DATUM", required=True))
            for s in idoc.each("E1EDK03")
        ),
        items=tuple(_item(s) for s in idoc.each("E1EDP01")),
        totals=tuple(
            InvoiceTotal(
                s.text("SUMID", required=True), s.decimal("SUMME", required=True), s.text("WAERQ")
            )
            for s in idoc.each("E1EDS01")
        ),
    )


def _partner(segment: Segment) -> InvoicePartner:
    return InvoicePartner(
        role=segment.text("PARVW", required=True),
        number=segment.text("PARTN"),
        name=segment.text("NAME1"),
        street=segment.text("STRAS"),
        city=segment.text("ORT01"),
        postal_code=segment.text("PSTLZ"),
        country=segment.text("LAND1"),
    )


def _reference(segment: Segment, item_field: str) -> DocumentReference:
    return DocumentReference(
        qualifier=segment.text("QUALF", required=True),
        number=segment.text("BELNR", required=True),
        item=segment.text(item_field),
        date=segment.date("DATUM"),
    )


def _item(segment: Segment) -> InvoiceItem:
    return InvoiceItem(
        item_number=segment.digits("POSEX", 6, required=True),
        quantity=segment.decimal("MENGE"),
        unit=segment.text("MENEE"),
        plant=segment.text("WERKS"),
        references=tuple(_reference(s, "ZEILE") for s in segment.each("E1EDP02")),
        identifiers=tuple(
            ItemIdentifier(
                s.text("QUALF", required=True), s.text("IDTNR", required=True), s.text("KTEXT")
            )
            for s in segment.each("E1EDP19")
        ),
        amounts=tuple(
            Amount(s.text("QUALF", required=True), s.decimal("BETRG", required=True))
            for s in segment.each("E1EDP26")
        ),
        taxes=tuple(
            ItemTax(s.text("MWSKZ"), s.decimal("MSATZ"), s.decimal("MWSBT"))
            for s in segment.each("E1EDP04")
        ),
    )


# -- writing ---------------------------------------------------------------


def invoic02_idoc(invoice: Invoice) -> Idoc:
    """The invoice as a generic IDoc; ``read_invoic02`` gives it back unchanged."""
    if invoice.control.idoc_type != IDOC_TYPE:
        raise ConfigError(f"an Invoice is an {IDOC_TYPE}, not a {invoice.control.idoc_type}")
    with building(invoice.control):
        header = build_segment(
            "E1EDK01",
            [
                ("CURCY", invoice.currency),
                ("ZTERM", invoice.payment_terms),
                ("BSART", invoice.document_type),
                ("BELNR", invoice.invoice_number),
            ],
            required=("CURCY", "BELNR"),
        )
        segments = [
            header,
            *(_partner_segment(partner) for partner in invoice.partners),
            *(_reference_segment("E1EDK02", r, "POSNR") for r in invoice.references),
            *(
                build_segment(
                    "E1EDK03",
                    [("IDDAT", d.qualifier), ("DATUM", d.date)],
                    required=("IDDAT", "DATUM"),
                )
                for d in invoice.dates
            ),
            *(_item_segment(item) for item in invoice.items),
            *(
                build_segment(
                    "E1EDS01",
                    [("SUMID", t.qualifier), ("SUMME", t.amount), ("WAERQ", t.currency)],
                    required=("SUMID", "SUMME"),
                )
                for t in invoice.totals
            ),
        ]
        return Idoc(invoice.control, tuple(segments))


def write_invoic02(invoices: Iterable[Invoice], out: BinaryIO, *, soap: bool = False) -> int:
    """Stream ``invoices`` into ``out`` as one INVOIC02 package; returns the IDoc count."""
    return write_idocs((invoic02_idoc(invoice) for invoice in invoices), out, soap=soap)


def _partner_segment(partner: InvoicePartner) -> Segment:
    return build_segment(
        "E1EDKA1",
        [
            ("PARVW", partner.role),
            ("PARTN", partner.number),
            ("NAME1", partner.name),
            ("STRAS", partner.street),
            ("ORT01", partner.city),
            ("PSTLZ", partner.postal_code),
            ("LAND1", partner.country),
        ],
        required=("PARVW",),
    )


def _reference_segment(name: str, reference: DocumentReference, item_field: str) -> Segment:
    return build_segment(
        name,
        [
            ("QUALF", reference.qualifier),
            ("BELNR", reference.number),
            (item_field, reference.item),
            ("DATUM", reference.date),
        ],
        required=("QUALF", "BELNR"),
    )


def _item_segment(item: InvoiceItem) -> Segment:
    children = [
        *(_reference_segment("E1EDP02", r, "ZEILE") for r in item.references),
        *(
            build_segment(
                "E1EDP19",
                [("QUALF", i.qualifier), ("IDTNR", i.identifier), ("KTEXT", i.description)],
                required=("QUALF", "IDTNR"),
            )
            for i in item.identifiers
        ),
        *(
            build_segment(
                "E1EDP26",
                [("QUALF", a.qualifier), ("BETRG", a.amount)],
                required=("QUALF", "BETRG"),
            )
            for a in item.amounts
        ),
        *(
            build_segment("E1EDP04", [("MWSKZ", t.code), ("MSATZ", t.rate), ("MWSBT", t.amount)])
            for t in item.taxes
        ),
    ]
    return build_segment(
        "E1EDP01",
        [
            ("POSEX", item.item_number),
            ("MENGE", item.quantity),
            ("MENEE", item.unit),
            ("WERKS", item.plant),
        ],
        children,
        required=("POSEX",),
        digits={"POSEX": 6},
    )
