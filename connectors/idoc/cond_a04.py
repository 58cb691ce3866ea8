"""COND_A04, message type COND_A: the ERP's sales prices (pricing conditions), streamed.

An IDoc carries one condition key and its records (SAP's names):

* ``E1KOMG`` the key: KVEWE usage (``A`` pricing), KOTABNR condition table
  (``304``: sales org / distribution channel / material), KAPPL application
  (``V`` sales), KSCHL condition type (``PR00`` price), VAKEY the variable
  key, VKORG sales organisation, VTWEG distribution channel, MATNR material.
* ``E1KONH`` a validity period under the key: KNUMH condition record
  number, DATAB valid from, DATBI valid to (both ``YYYYMMDD``).
* ``E1KONP`` the condition item of that period: KSCHL, KBETR amount (SAP's
  trailing minus), KONWA currency, KPEIN pricing unit (the amount is per
  KPEIN units), KMEIN unit of measure, LOEVM_KO deletion flag (``X``).

``read_prices(source)`` yields one ``Price`` per E1KONP (a condition record),
in file order, or a ``RefusedRow`` in its place when it cannot be accepted:
a mandatory field empty (``MATNR is empty``, ``KONWA is empty`` for a price
without currency), an amount that is not a number, a date that does not
parse (``DATAB '20251301' is not a date YYYYMMDD``). A file that is not
well-formed XML, declares a DOCTYPE or is not a COND_A04 package raises
``IdocError`` as the package reader does.

``Price.content_hash()`` digests everything but ``position`` and ``docnum``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from hashlib import blake2b
from typing import BinaryIO

from connectors.errors import ConfigError
from connectors.idoc.chunks import FileChunk
from connectors.idoc.control import ControlRecord
from connectors.idoc.errors import RefusedRow
from connectors.idoc.package import Source
from connectors.idoc.records import (
    CATALOG_MAX_BYTES,
    Element,
    Fields,
    Refusal,
    day,
    fields_of,
    iter_records,
    required,
    text,
)
from connectors.idoc.segments import Idoc, build_segment, building
from connectors.idoc.values import parse_decimal
from connectors.idoc.writing import write_idocs

IDOC_TYPE = "COND_A04"
MESSAGE_TYPE = "COND_A"
DELETION_FLAG = "X"
PRICING = "A"  # KVEWE
SALES = "V"  # KAPPL
MATERIAL_TABLE = "304"  # KOTABNR: sales org / distribution channel / material


@dataclass(frozen=True, slots=True)
class Price:
    position: int  # 1-based IDoc in the file
    docnum: str  # EDI_DC40 DOCNUM
    condition_type: str  # KSCHL, e.g. PR00
    sales_org: str  # VKORG
    distribution_channel: str  # VTWEG
    material: str  # MATNR, as sent
    amount: Decimal  # KBETR, per ``per`` ``unit``
    currency: str  # KONWA
    per: int  # KPEIN
    unit: str  # KMEIN
    valid_from: date  # E1KONH DATAB
    valid_to: date  # E1KONH DATBI
    deleted: bool = False  # LOEVM_KO
    record_number: str = ""  # E1KONH KNUMH, SAP's condition record number

    def content_hash(self) -> bytes:
        """16 bytes that change when anything but ``position``/``docnum`` changes."""
        parts = (
            self.condition_type, self.sales_org, self.distribution_channel, self.material,
            str(self.amount), self.currency, str(self.per), self.unit,
            self.valid_from.isoformat(), self.valid_to.isoformat(),
            "X" if self.deleted else "", self.record_number,
        )  # fmt: skip
        return blake2b("\x1f".join(parts).encode(), digest_size=16).digest()


def read_prices(
    source: Source, *, max_bytes: int = CATALOG_MAX_BYTES, chunk: FileChunk | None = None
) -> Iterator[Price | RefusedRow]:
    """Each condition record of a COND_A04 file, in order: a ``Price`` or a ``RefusedRow``.

    ``source`` is a binary file object, a path or bytes. Reading the same
    bytes again gives the same results; nothing is kept between calls. With
    ``chunk`` (``chunks.plan_chunks(path)``) only that part of the file at
    path ``source`` is read, with the positions and lines of the whole file.
    """
    return iter_records(source, IDOC_TYPE, _prices, max_bytes=max_bytes, chunk=chunk)


def _prices(idoc: Element, position: int, docnum: str) -> list[Price | RefusedRow]:
    keys = list(idoc.iterchildren("E1KOMG"))
    if not keys:
        raise Refusal("E1KOMG", "", "the IDoc has no E1KOMG segment", idoc.sourceline)
    records: list[Price | RefusedRow] = []
    for key in keys:
        key_fields = fields_of(key)
        material = text(key_fields, "MATNR") or text(key_fields, "VAKEY")
        periods = list(key.iterchildren("E1KONH"))
        if not periods:
            refusal = Refusal("E1KONH", "", "the condition has no E1KONH segment", key.sourceline)
            records.append(_refused(refusal, position, docnum, material))
        for period in periods:
            for item in period.iterchildren("E1KONP"):
                try:
                    records.append(_price(key, key_fields, period, item, position, docnum))
                except Refusal as refusal:
                    records.append(_refused(refusal, position, docnum, material))
    return records


def _price(
    key: Element, key_fields: Fields, period: Element, item: Element, position: int, docnum: str
) -> Price:
    sales_org = required(key_fields, "VKORG", key)
    channel = required(key_fields, "VTWEG", key)
    material = required(key_fields, "MATNR", key)
    period_fields = fields_of(period)
    fields = fields_of(item)
    return Price(
        position,
        docnum,
        text(fields, "KSCHL") or required(key_fields, "KSCHL", key),
        sales_org,
        channel,
        material,
        _amount(fields, item),
        required(fields, "KONWA", item),
        _per(fields, item),
        text(fields, "KMEIN"),
        day(period_fields, "DATAB", period, is_required=True),
        day(period_fields, "DATBI", period, is_required=True),
        text(fields, "LOEVM_KO") == DELETION_FLAG,
        text(period_fields, "KNUMH"),
    )


def _amount(fields: Fields, item: Element) -> Decimal:
    value = required(fields, "KBETR", item)
    try:
        return parse_decimal(value)
    except ValueError as error:
        raise Refusal("E1KONP", "KBETR", f"KBETR {error}", item.sourceline) from None


def _per(fields: Fields, item: Element) -> int:
    value = text(fields, "KPEIN")
    if not value:
        return 1  # SAP leaves the pricing unit out when it is one
    if value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    reason = f"KPEIN {value!r} is not a positive whole number"
    raise Refusal("E1KONP", "KPEIN", reason, item.sourceline)


def _refused(refusal: Refusal, position: int, docnum: str, key: str) -> RefusedRow:
    refusal.key = key
    return refusal.row(position, docnum)


# -- writing ---------------------------------------------------------------


def cond_a04_idoc(price: Price, control: ControlRecord) -> Idoc:
    """The price as a COND_A04 IDoc (table 304: sales org, channel, material) under ``control``.

    Its DOCNUM is the price's; ``read_prices`` reads it back unchanged.
    """
    if control.idoc_type != IDOC_TYPE:
        raise ConfigError(f"a Price is a {IDOC_TYPE}, not a {control.idoc_type}")
    control = replace(control, docnum=price.docnum)
    with building(control):
        item = build_segment(
            "E1KONP",
            [
                ("KSCHL", price.condition_type),
                ("KBETR", price.amount),
                ("KONWA", price.currency),
                ("KPEIN", str(price.per)),
                ("KMEIN", price.unit),
                ("LOEVM_KO", DELETION_FLAG if price.deleted else ""),
            ],
            required=("KSCHL", "KBETR", "KONWA"),
        )
        period = build_segment(
            "E1KONH",
            [
                ("KNUMH", price.record_number),
                ("DATAB", price.valid_from),
                ("DATBI", price.valid_to),
            ],
            [item],
            required=("DATAB", "DATBI"),
        )
        key = build_segment(
            "E1KOMG",
            [
                ("KVEWE", PRICING),
                ("KOTABNR", MATERIAL_TABLE),
                ("KAPPL", SALES),
                ("KSCHL", price.condition_type),
                (
                    "VAKEY",
                    variable_key(price.sales_org, price.distribution_channel, price.material),
                ),
                ("VKORG", price.sales_org),
                ("VTWEG", price.distribution_channel),
                ("MATNR", price.material),
            ],
            [period],
            required=("VKORG", "VTWEG", "MATNR"),
        )
        return Idoc(control, (key,))


def write_prices(prices: Iterable[Price], out: BinaryIO, control: ControlRecord) -> int:
    """Stream ``prices`` into ``out`` as one COND_A04 package, one IDoc each; returns the count."""
    return write_idocs((cond_a04_idoc(price, control) for price in prices), out)


def variable_key(sales_org: str, channel: str, material: str) -> str:
    """VAKEY of table 304: the key fields at their SAP lengths (VKORG 4, VTWEG 2, MATNR 18)."""
    return f"{sales_org:<4}{channel:<2}{material}"
