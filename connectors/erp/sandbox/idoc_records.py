"""Values of the sandbox ERP's IDoc books, and the numbers it gives its documents.

Numbers are derived from row ids, as SAP draws them from number ranges:
DOCNUM (16 digits) from 0000000000100000, billing documents from 0090000000,
material documents from 4900000000 (deliveries and sales orders: ``store``).
Times are stored as UTC ISO 8601 text with microseconds (``timestamp``), one
form for all, so that SQL compares them as text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal

from connectors.erp.idoc_service import STATUS_DESCRIPTIONS

FIRST_IDOC_NUMBER = 100000
FIRST_BILLING_NUMBER = 90000000
FIRST_MATERIAL_DOCUMENT = 4900000000
INBOUND = "2"  # SAP's EDI_DC40-DIRECT, as seen by the ERP
OUTBOUND = "1"
SECRET_SETTINGS = ("invoice_push_password", "invoice_push_api_key")


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """One text form for every stored time, so that SQL compares them as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def docnum_for(idoc_id: int) -> str:
    return f"{FIRST_IDOC_NUMBER + idoc_id - 1:016d}"


def idoc_id_for(docnum: str) -> int | None:
    if not docnum.isascii() or not docnum.isdigit() or len(docnum) > 16:
        return None
    idoc_id = int(docnum) - FIRST_IDOC_NUMBER + 1
    return idoc_id if idoc_id > 0 else None


def billing_number_for(row_id: int) -> str:
    return f"{FIRST_BILLING_NUMBER + row_id - 1:010d}"


def quantity_text(quantity: Decimal) -> str:
    """A quantity without exponent or trailing zeros: ``2``, ``1.5``, ``-3``."""
    text = format(quantity, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class IdocSettings:
    """How the sandbox processes IDocs and pushes invoices; see ``POST /_sandbox/config``."""

    processing_delay_ms: int = 0
    invoice_delay_ms: int = 1000
    invoice_push_url: str = ""
    invoice_push_username: str = ""
    invoice_push_password: str = ""
    invoice_push_api_key_header: str = "X-API-Key"
    invoice_push_api_key: str = ""
    invoice_push_attempts: int = 5
    invoice_retry_delay_ms: int = 2000

    def as_public_json(self) -> dict:
        """The settings with the password and API key shown only as set or not."""
        values = asdict(self)
        for name in SECRET_SETTINGS:
            values[name] = "***" if values[name] else ""
        return values


IDOC_SETTINGS_FIELDS = tuple(field.name for field in fields(IdocSettings))


@dataclass(frozen=True)
class ReceivedIdoc:
    """One IDoc of an inbound package, as its control record gives it."""

    position: int
    idoc_type: str
    message_type: str
    sender_docnum: str


@dataclass(frozen=True)
class AssignedIdoc:
    position: int
    docnum: str
    sender_docnum: str
    idoc_type: str
    message_type: str


@dataclass(frozen=True)
class IdocReceipt:
    """What the ERP answered for a package: the DOCNUM it gave each IDoc, in package order."""

    message_id: str | None
    received_at: str
    idocs: tuple[AssignedIdoc, ...]
    is_duplicate: bool = False


class MessageIdReused(Exception):
    """The message id was first used for other bytes; nothing was stored."""


@dataclass(frozen=True)
class StatusRecord:
    status: str
    text: str
    created_at: str


@dataclass(frozen=True)
class StoredIdoc:
    docnum: str
    direction: str
    idoc_type: str
    message_type: str
    sender_docnum: str
    message_id: str | None
    status: str
    text: str
    status_at: str
    history: tuple[StatusRecord, ...] = ()

    def as_json(self) -> dict:
        values = asdict(self)
        values["direction"] = "inbound" if self.direction == INBOUND else "outbound"
        values["description"] = STATUS_DESCRIPTIONS.get(self.status, "")
        return values


@dataclass(frozen=True)
class ClaimedMessage:
    """A package taken for processing: its bytes and the IDocs still at 64 (position -> id)."""

    pk: int
    package: bytes
    pending: dict[int, int]


@dataclass(frozen=True)
class DeliveryRecord:
    delivery_id: int
    delivery_number: str
    sales_order_number: str
    external_reference: str
    sold_to: str
    currency: str
    request_xml: bytes
    goods_issued_at: str | None
    material_document: str | None


@dataclass(frozen=True)
class StockLevel:
    material: str
    plant: str
    quantity: Decimal
    unit: str

    def as_json(self) -> dict:
        return {**asdict(self), "quantity": quantity_text(self.quantity)}


@dataclass(frozen=True)
class BillingAmounts:
    net_amount: Decimal
    tax_amount: Decimal
    total_due: Decimal
    currency: str


@dataclass(frozen=True)
class DuePush:
    """A billing document whose INVOIC02 is due to be pushed to the platform."""

    billing_id: int
    billing_number: str
    idoc_id: int
    docnum: str
    attempts: int
    idoc_xml: bytes
