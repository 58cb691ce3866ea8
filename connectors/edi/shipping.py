"""Shipping vocabulary shared by the 940, 945 and 846: parties, references, dates.

* ``Party`` -- an N1 loop: role (N101: ST ship-to, SF ship-from, BT bill-to,
  WH warehouse...), name, id qualifier + id (N103/N104), additional names
  (N2), address lines (N3), city, region, postal code, country (N4).
* ``Reference`` -- an N9: qualifier (N901, e.g. PO, LI line number) + value.
* ``QualifiedDate`` -- a G62: qualifier (G6201, e.g. 10 requested ship date)
  + ``datetime.date``.
* ``CarrierRouting`` -- W66 (940) or W27 (945): SCAC, routing text,
  transportation method (M motor, U parcel...), payment method (PP prepaid,
  CC collect...).
* ``PackageMark`` -- a MAN: qualifier (CP carrier package id = tracking
  number, GM SSCC-18) + number.

Document dataclasses are plain (mutable, compared by value): readers build
fresh ones on every call, and frozen dataclasses cost ten times more to
build, which matters at millions of lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connectors.edi.segment_reader import calendar_date, need, out_of_place, padded
from connectors.edi.writer import Segment

TRACKING_QUALIFIER = "CP"


@dataclass
class Party:
    role: str
    name: str = ""
    id_qualifier: str = ""
    id_code: str = ""
    additional_names: tuple[str, ...] = ()
    address_lines: tuple[str, ...] = ()
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass
class Reference:
    qualifier: str
    value: str


@dataclass
class QualifiedDate:
    qualifier: str
    date: date


@dataclass
class CarrierRouting:
    scac: str = ""
    routing: str = ""
    transportation_method: str = ""
    payment_method: str = ""


@dataclass
class PackageMark:
    qualifier: str
    number: str


class PartyLoops:
    """N1 loops being read: N2/N3/N4 amend the open one until another segment closes it."""

    __slots__ = ("is_open", "parties")

    def __init__(self) -> None:
        self.parties: list[Party] = []
        self.is_open = False

    def start(self, segment: list[str]) -> None:
        s = padded(segment, 5)
        role = need(s[1], 1, "entity identifier code (N101)")
        self.parties.append(Party(role, s[2], s[3], s[4]))
        self.is_open = True

    def amend(self, segment: list[str]) -> None:
        """Apply an N2/N3/N4 to the open party."""
        if not self.is_open:
            out_of_place(f"{segment[0]} outside an N1 loop")
        party = self.parties[-1]
        if segment[0] == "N4":
            s = padded(segment, 5)
            party.city, party.region, party.postal_code, party.country = s[1:5]
            return
        values = tuple(value for value in segment[1:3] if value)
        if segment[0] == "N2":
            party.additional_names += values
        else:
            party.address_lines += values


def reference_from(segment: list[str]) -> Reference:
    s = padded(segment, 3)
    return Reference(
        need(s[1], 1, "reference qualifier (N901)"), need(s[2], 2, "reference value (N902)")
    )


def qualified_date_from(segment: list[str]) -> QualifiedDate:
    s = padded(segment, 3)
    qualifier = need(s[1], 1, "date qualifier (G6201)")
    return QualifiedDate(qualifier, calendar_date(s[2], 2, "date (G6202)", required=True))


def party_segments(party: Party) -> list[Segment]:
    segments: list[Segment] = [["N1", party.role, party.name, party.id_qualifier, party.id_code]]
    segments.extend(["N2", *pair] for pair in _pairs(party.additional_names))
    segments.extend(["N3", *pair] for pair in _pairs(party.address_lines))
    if party.city or party.region or party.postal_code or party.country:
        segments.append(["N4", party.city, party.region, party.postal_code, party.country])
    return segments


def reference_segment(reference: Reference) -> Segment:
    return ["N9", reference.qualifier, reference.value]


def date_segment(qualified: QualifiedDate) -> Segment:
    return ["G62", qualified.qualifier, ccyymmdd(qualified.date)]


def ccyymmdd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def quantity_text(value: Decimal | None) -> str:
    """A Decimal as X12 numeric text: no exponent, no float rounding."""
    return "" if value is None else format(value, "f")


def _pairs(values: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [values[index : index + 2] for index in range(0, len(values), 2)]
