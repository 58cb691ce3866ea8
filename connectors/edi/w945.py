"""945 Warehouse Shipping Advice: what a 3PL reports it shipped.

``read_945(transaction_set) -> ShippingAdvice`` reads a warehouse's 945 and
raises ``DocumentError`` (AK3/AK4 notes) for a set the platform cannot use.
``write_945(advices, envelope) -> bytes`` is for the sandbox warehouse and the
benchmark; ``read_945`` inverts it exactly. A short shipment is a line with
``quantity_shipped < quantity_ordered``: ``ShippingAdviceLine.reporting``
fills status (CC complete / CP partial) and the difference for you.

Dataclasses (what the fulfillment app records against order lines):

* ``ShippingAdvice``: depositor_order_number (W0602, our order number),
  shipped_on (W0603, date), shipment_id (W0604, e.g. the BOL number),
  purchase_order_number (W0606), reporting_code (W0601: F final, P partial),
  carrier (W27: transportation method, SCAC, routing, payment method),
  parties (N1 loops), references (header N9), dates (G62), lines.
* ``ShippingAdviceLine``: quantity_shipped (W1203, Decimal), unit (W1205),
  quantity_ordered (W1202), quantity_difference (W1204, ordered - shipped),
  status (W1201), upc (W1206), sku + sku_qualifier (W1207/W1208), lot_number
  (W1209), line_number (N9*LI: our order line number), package_marks (MAN of
  the line's LX loop; ``tracking_numbers`` are the CP ones), references
  (other N9s of the line), description (G69).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connectors.edi.envelope import TransactionSet
from connectors.edi.errors import ElementSyntax, SegmentNote
from connectors.edi.segment_reader import (
    ElementProblem,
    SegmentProblem,
    calendar_date,
    missing_segment,
    need,
    note_for,
    noted,
    out_of_place,
    padded,
    problem,
    quantity,
    raise_for_notes,
    unrecognized,
    whole_number,
)
from connectors.edi.shipping import (
    TRACKING_QUALIFIER,
    CarrierRouting,
    PackageMark,
    Party,
    PartyLoops,
    QualifiedDate,
    Reference,
    ccyymmdd,
    date_segment,
    party_segments,
    qualified_date_from,
    quantity_text,
    reference_from,
    reference_segment,
)
from connectors.edi.w940 import LINE_NUMBER_QUALIFIER, UPC_QUALIFIERS
from connectors.edi.writer import Envelope, Segment, write_interchange

FUNCTIONAL_ID = "SW"
COMPLETE = "CC"
PARTIAL = "CP"


@dataclass
class ShippingAdviceLine:
    quantity_shipped: Decimal
    unit: str
    quantity_ordered: Decimal | None = None
    quantity_difference: Decimal | None = None
    status: str = COMPLETE
    upc: str = ""
    sku: str = ""
    sku_qualifier: str = "SK"
    lot_number: str = ""
    line_number: int | None = None
    package_marks: tuple[PackageMark, ...] = ()
    references: tuple[Reference, ...] = ()
    description: str = ""

    @classmethod
    def reporting(
        cls, *, ordered: Decimal, shipped: Decimal, unit: str, **ids: str
    ) -> ShippingAdviceLine:
        """A line for ``shipped`` of ``ordered``: status CC or CP, difference ordered - shipped."""
        status = COMPLETE if shipped >= ordered else PARTIAL
        return cls(
            quantity_shipped=shipped,
            unit=unit,
            quantity_ordered=ordered,
            quantity_difference=ordered - shipped,
            status=status,
            **ids,
        )

    @property
    def is_short(self) -> bool:
        return self.quantity_ordered is not None and self.quantity_shipped < self.quantity_ordered

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        return tuple(m.number for m in self.package_marks if m.qualifier == TRACKING_QUALIFIER)


@dataclass
class ShippingAdvice:
    depositor_order_number: str
    shipped_on: date
    shipment_id: str = ""
    purchase_order_number: str = ""
    reporting_code: str = "F"
    carrier: CarrierRouting | None = None
    parties: tuple[Party, ...] = ()
    references: tuple[Reference, ...] = ()
    dates: tuple[QualifiedDate, ...] = ()
    lines: tuple[ShippingAdviceLine, ...] = ()

    def party(self, role: str) -> Party | None:
        return next((party for party in self.parties if party.role == role), None)


def write_945(advices: Sequence[ShippingAdvice], envelope: Envelope) -> bytes:
    """One interchange, one group (GS01 ``SW``), one 945 per advice."""
    sets = [("945", advice_segments(advice)) for advice in advices]
    return write_interchange(envelope, FUNCTIONAL_ID, sets)


def advice_segments(advice: ShippingAdvice) -> list[Segment]:
    """The body of one 945 (without ST/SE)."""
    segments: list[Segment] = [
        ["W06", advice.reporting_code, advice.depositor_order_number,
         ccyymmdd(advice.shipped_on), advice.shipment_id, "", advice.purchase_order_number]
    ]  # fmt: skip
    for party in advice.parties:
        segments.extend(party_segments(party))
    segments.extend(reference_segment(reference) for reference in advice.references)
    segments.extend(date_segment(qualified) for qualified in advice.dates)
    if advice.carrier:
        carrier = advice.carrier
        segments.append(
            ["W27", carrier.transportation_method, carrier.scac, carrier.routing,
             carrier.payment_method]
        )  # fmt: skip
    for number, line in enumerate(advice.lines, start=1):
        segments.append(["LX", number])
        segments.extend(["MAN", mark.qualifier, mark.number] for mark in line.package_marks)
        segments.append(_w12_segment(line))
        if line.description:
            segments.append(["G69", line.description])
        if line.line_number is not None:
            segments.append(["N9", LINE_NUMBER_QUALIFIER, line.line_number])
        segments.extend(reference_segment(reference) for reference in line.references)
    total = sum((line.quantity_shipped for line in advice.lines), Decimal(0))
    segments.append(["W03", quantity_text(total)])
    return segments


def _w12_segment(line: ShippingAdviceLine) -> Segment:
    return [
        "W12", line.status, quantity_text(line.quantity_ordered),
        quantity_text(line.quantity_shipped), quantity_text(line.quantity_difference),
        line.unit, line.upc, line.sku_qualifier if line.sku else "", line.sku, line.lot_number,
    ]  # fmt: skip


class _AdviceDraft:
    """What has been read of one 945 so far (a plain class: one is made per set)."""

    __slots__ = ("carrier", "dates", "lines", "loop_marks", "parties", "references", "shipped_on",
                 "w06")  # fmt: skip

    def __init__(self) -> None:
        self.w06: list[str] | None = None
        self.shipped_on: date | None = None
        self.parties = PartyLoops()
        self.references: list[Reference] = []
        self.dates: list[QualifiedDate] = []
        self.carrier: CarrierRouting | None = None
        self.lines: list[ShippingAdviceLine] = []
        self.loop_marks: list[PackageMark] | None = None  # MANs of the open LX loop


def read_945(ts: TransactionSet) -> ShippingAdvice:
    """The shipping advice in a 945 set; raises ``DocumentError`` with AK3/AK4 notes."""
    draft = _AdviceDraft()
    notes = _walk_945(ts, draft)
    if draft.w06 is None and not noted(notes, "W06"):
        notes.append(missing_segment("W06", 2, "W06 (warehouse shipment identification)"))
    if not draft.lines and not noted(notes, "W12"):
        notes.append(missing_segment("W12", ts.segment_count, "W12 (warehouse item detail)"))
    raise_for_notes(ts, notes)
    for line in draft.lines:  # the LX loop's list while reading, a tuple in the result
        line.package_marks = tuple(line.package_marks)
    w06 = draft.w06
    return ShippingAdvice(  # positional: W06 02, 03, 04, 06, 01, then the loops
        w06[2],
        draft.shipped_on,
        w06[4],
        w06[6],
        w06[1],
        draft.carrier,
        tuple(draft.parties.parties),
        tuple(draft.references),
        tuple(draft.dates),
        tuple(draft.lines),
    )


def _walk_945(ts: TransactionSet, draft: _AdviceDraft) -> list[SegmentNote]:
    """``walk_set`` with the line-loop segments handled inline.

    LX, MAN, W12, G69 and N9*LI are four fifths of a 945's segments; calling a
    handler for each costs a fifth of the reading time, so the well-formed
    common case is done here and anything unusual goes to the handlers,
    which report it.
    """
    notes: list[SegmentNote] = []
    lines = draft.lines
    claim = _HANDLERS.get
    separator = ts.delimiters.element
    # ST and SE were checked by the envelope reader; the body starts at position 2.
    for position, text in enumerate(ts.segments[1:-1], start=2):
        segment = text.split(separator)
        tag = segment[0]
        try:
            if tag == "W12":
                _w12(draft, segment)
            elif tag == "N9" and lines and len(segment) > 2 and segment[1] == "LI":
                number = segment[2]
                if number.isdigit() and number.isascii() and lines[-1].line_number is None:
                    lines[-1].line_number = int(number)
                else:
                    _n9(draft, segment)
            elif tag == "LX":
                draft.parties.is_open = False
                draft.loop_marks = []
            elif tag == "MAN" and draft.loop_marks is not None and len(segment) > 2:
                if not (segment[1] and segment[2]):
                    _man(draft, segment)  # reports the missing element
                draft.loop_marks.append(PackageMark(segment[1], segment[2]))
            elif tag == "G69" and lines:
                lines[-1].description = segment[1] if len(segment) > 1 else ""
            else:
                handler = claim(tag)
                if handler is not None:
                    handler(draft, segment)
                elif note := unrecognized(tag, position):
                    notes.append(note)
        except (ElementProblem, SegmentProblem) as bad:
            notes.append(note_for(tag, position, bad))
    return notes


def _w06(draft: _AdviceDraft, segment: list[str]) -> None:
    if draft.w06 is not None:
        out_of_place("a 945 has one W06")
    s = padded(segment, 7)
    need(s[1], 1, "reporting code (W0601)")
    need(s[2], 2, "depositor order number (W0602)")
    draft.shipped_on = calendar_date(s[3], 3, "shipment date (W0603)", required=True)
    draft.w06 = s


def _n1(draft: _AdviceDraft, segment: list[str]) -> None:
    if draft.loop_marks is not None:
        out_of_place("N1 after the line items")
    draft.parties.start(segment)


def _n2_n3_n4(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.parties.amend(segment)


def _n9(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.parties.is_open = False
    if not draft.lines:
        draft.references.append(reference_from(segment))
        return
    line = draft.lines[-1]
    if segment[1:2] != [LINE_NUMBER_QUALIFIER]:
        line.references += (reference_from(segment),)
    elif line.line_number is not None:
        problem(1, ElementSyntax.INVALID_CODE, "LI", "a second N9*LI for the same line")
    else:
        value = segment[2] if len(segment) > 2 else ""
        line.line_number = whole_number(need(value, 2, "line number (N902)"), 2, "line number")


def _g62(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.parties.is_open = False
    draft.dates.append(qualified_date_from(segment))


def _w27(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.parties.is_open = False
    s = padded(segment, 5)
    method = need(s[1], 1, "transportation method (W2701)")
    draft.carrier = CarrierRouting(s[2], s[3], method, s[4])


def _lx(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.parties.is_open = False
    draft.loop_marks = []


def _man(draft: _AdviceDraft, segment: list[str]) -> None:
    if draft.loop_marks is None:
        out_of_place("MAN outside an LX loop")
    s = segment if len(segment) > 2 else padded(segment, 3)
    if not (s[1] and s[2]):
        need(s[1], 1, "marks qualifier (MAN01)")
        need(s[2], 2, "marks and numbers (MAN02)")
    draft.loop_marks.append(PackageMark(s[1], s[2]))


def _w12(draft: _AdviceDraft, segment: list[str]) -> None:
    # The hot path of every 945: mandatory checks are inlined, helpers run on failure only.
    if draft.loop_marks is None:
        draft.loop_marks = []  # tolerate a missing LX: one implicit loop
    s = segment if len(segment) > 9 else padded(segment, 10)
    if not (s[1] and s[5]):
        need(s[1], 1, "shipment status (W1201)")
        need(s[5], 5, "unit of measure (W1205)")
    upc, sku, qualifier = s[6], "", "SK"
    if s[8]:
        if s[7] in UPC_QUALIFIERS:
            upc = upc or s[8]
        else:
            sku, qualifier = s[8], s[7]
    if not (upc or sku):
        detail = "the line names no product: neither a UPC (W1206) nor a product id (W1208)"
        problem(6, ElementSyntax.CONDITIONAL_MISSING, "", detail)
    shipped = quantity(s[3], 3, "units shipped (W1203)")
    if shipped is None:
        need("", 3, "units shipped (W1203)")
    draft.lines.append(
        ShippingAdviceLine(
            shipped,
            s[5],
            quantity(s[2], 2, "quantity ordered (W1202)"),
            quantity(s[4], 4, "quantity difference (W1204)"),
            s[1],
            upc,
            sku,
            qualifier,
            s[9],
            None,
            draft.loop_marks,  # shared by every W12 of the LX loop; a tuple once read
        )
    )


def _g69(draft: _AdviceDraft, segment: list[str]) -> None:
    if not draft.lines:
        out_of_place("G69 (line description) before any W12")
    draft.lines[-1].description = segment[1] if len(segment) > 1 else ""


_HANDLERS = {
    "W06": _w06,
    "N1": _n1,
    "N2": _n2_n3_n4,
    "N3": _n2_n3_n4,
    "N4": _n2_n3_n4,
    "N9": _n9,
    "G62": _g62,
    "W27": _w27,
    "LX": _lx,
    "MAN": _man,
    "W12": _w12,
    "G69": _g69,
}
