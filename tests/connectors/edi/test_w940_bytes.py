"""The 940 writer's exact bytes: unchanged from the segment-list writer it replaced.

``fixtures/awkward_940.edi`` was written by the earlier writer (segment lists
cleaned value by value) from ``awkward_orders()``; any change to the bytes
the warehouse receives shows up here, not only changes that fail to read back.
The property tests compare the text writer with segment lists (the earlier
``order_segments``, kept here as the specification) through the generic writer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.edi import (
    CarrierRouting,
    Party,
    QualifiedDate,
    Reference,
    ShippingOrder,
    ShippingOrderLine,
    write_940,
)
from connectors.edi.shipping import (
    date_segment,
    party_segments,
    quantity_text,
    reference_segment,
)
from connectors.edi.writer import clean_value, value_cleaner, write_interchange
from tests.connectors.edi.builders import FIXTURES, make_envelope, make_order

# Delimiters, line breaks, Unicode whitespace (\x1c, \xa0), plain text and nothing.
TEXT = st.text(alphabet=st.sampled_from("AZ 09-*~>^\n\r\t\x1c\xa0é"), max_size=6)
PARTY = st.builds(
    Party,
    role=TEXT,
    name=TEXT,
    id_qualifier=TEXT,
    id_code=TEXT,
    additional_names=st.lists(TEXT, max_size=3).map(tuple),
    address_lines=st.lists(TEXT, max_size=3).map(tuple),
    city=TEXT,
    region=TEXT,
    postal_code=TEXT,
    country=TEXT,
)
LINE = st.builds(
    ShippingOrderLine,
    quantity=st.decimals(allow_nan=False, allow_infinity=False, places=3),
    unit=TEXT,
    upc=TEXT,
    sku=TEXT,
    sku_qualifier=TEXT,
    line_number=st.none() | st.integers(min_value=0, max_value=99999),
    references=st.lists(st.builds(Reference, TEXT, TEXT), max_size=2).map(tuple),
    description=TEXT,
)
ORDER = st.builds(
    ShippingOrder,
    depositor_order_number=TEXT,
    purchase_order_number=TEXT,
    status=TEXT,
    parties=st.lists(PARTY, max_size=2).map(tuple),
    references=st.lists(st.builds(Reference, TEXT, TEXT), max_size=2).map(tuple),
    dates=st.lists(st.builds(QualifiedDate, TEXT, st.dates()), max_size=2).map(tuple),
    carrier=st.none() | st.builds(CarrierRouting, TEXT, TEXT, TEXT, TEXT),
    lines=st.lists(LINE, max_size=3).map(tuple),
)


def order_segments(order: ShippingOrder) -> list:
    """The body of one 940 as segment lists: how the 940 was written before it was text."""
    segments = [["W05", order.status, order.depositor_order_number, order.purchase_order_number]]
    for party in order.parties:
        segments.extend(party_segments(party))
    segments.extend(reference_segment(reference) for reference in order.references)
    segments.extend(date_segment(qualified) for qualified in order.dates)
    if order.carrier:
        carrier = order.carrier
        segments.append(
            ["W66", carrier.payment_method, carrier.transportation_method, "", "",
             carrier.routing, "", "", "", "", carrier.scac]
        )  # fmt: skip
    for number, line in enumerate(order.lines, start=1):
        segments.append(["LX", number])
        qualifier = line.sku_qualifier if line.sku else ""
        segments.append(
            ["W01", quantity_text(line.quantity), line.unit, line.upc, qualifier, line.sku]
        )
        if line.description:
            segments.append(["G69", line.description])
        if line.line_number is not None:
            segments.append(["N9", "LI", line.line_number])
        segments.extend(reference_segment(reference) for reference in line.references)
    total = sum((line.quantity for line in order.lines), Decimal(0))
    segments.append(["W76", quantity_text(total)])
    return segments


def awkward_orders() -> list[ShippingOrder]:
    """Orders whose values need cleaning, or are empty, or fill every optional segment."""
    return [
        make_order("WEB-1"),
        ShippingOrder(
            depositor_order_number=" SP-0000000002 ",
            purchase_order_number="PO*77~8>9^0",
            status="R",
            parties=(
                Party(
                    "ST",
                    "Pat\nDoe\r",
                    "92",
                    "\tST-1",
                    additional_names=("c/o Lee", "Dock 4", "Gate\u00a0B"),
                    address_lines=("1 Main St*", " ", "Unit 5"),
                    city="Colum\x1cbus",
                    region="",
                    postal_code=" 43004",
                    country="US ",
                ),
                Party("BT", ""),
                Party("SF", "Warehouse", city="", country="CA"),
            ),
            references=(Reference("CO", "4500000001"), Reference("", ""), Reference("PO", "A*B")),
            dates=(QualifiedDate("10", date(2026, 11, 24)), QualifiedDate("02", date(987, 1, 2))),
            carrier=CarrierRouting(scac="", routing="GROUND\n", payment_method="PP"),
            lines=(
                ShippingOrderLine(Decimal("0.500"), "EA", upc="012345678905"),
                ShippingOrderLine(
                    Decimal("12"),
                    " KG ",
                    sku="Caf\u00e9~1KG",
                    sku_qualifier="VN",
                    line_number=7,
                    references=(Reference("LT", "LOT 9 "), Reference("", "x")),
                    description="Roasted > ground",
                ),
                ShippingOrderLine(Decimal("1E+1"), "", sku="", sku_qualifier="VN", line_number=0),
            ),
        ),
        ShippingOrder(depositor_order_number="", carrier=CarrierRouting()),
        ShippingOrder(depositor_order_number="SP-4"),
    ]


def test_given_awkward_orders_when_written_then_the_bytes_are_the_earlier_writers():
    written = write_940(awkward_orders(), make_envelope())
    assert written == (FIXTURES / "awkward_940.edi").read_bytes()


def test_given_a_5010_envelope_when_written_then_the_repetition_separator_is_cleaned_too():
    order = make_order()
    order.parties[0].name = "Pat^Doe"
    written = write_940([order], make_envelope(version="005010"))
    assert b"N1*ST*Pat Doe~" in written


@settings(max_examples=300, deadline=None)
@given(
    orders=st.lists(ORDER, min_size=1, max_size=3), version=st.sampled_from(["004010", "005010"])
)
def test_property_the_text_writer_writes_what_segment_lists_write(orders, version):
    envelope = make_envelope(version=version)
    as_segments = write_interchange(envelope, "OW", [("940", order_segments(o)) for o in orders])
    assert write_940(orders, envelope) == as_segments


@settings(max_examples=500, deadline=None)
@given(value=TEXT, version=st.sampled_from(["004010", "005010"]))
def test_property_the_value_cleaner_cleans_like_clean_value(value, version):
    delimiters = make_envelope(version=version).delimiters
    assert value_cleaner(delimiters)(value) == clean_value(value, delimiters)


def test_given_a_line_number_that_is_not_a_whole_number_when_written_then_refused():
    """Line numbers are written uncleaned, so text there (a delimiter, say) is refused."""
    order = make_order()
    order.lines[0].line_number = "1*2"

    with pytest.raises(ValueError):
        write_940([order], make_envelope())


@st.composite
def orders_sharing_parts(draw) -> list[ShippingOrder]:
    """Orders that share line and carrier objects, as a fulfillment batch's do."""
    lines = draw(st.lists(LINE, min_size=1, max_size=4))
    carriers = draw(st.lists(st.builds(CarrierRouting, TEXT, TEXT, TEXT, TEXT), min_size=1))
    return [
        ShippingOrder(
            depositor_order_number=draw(TEXT),
            carrier=draw(st.none() | st.sampled_from(carriers)),
            lines=tuple(draw(st.lists(st.sampled_from(lines), max_size=4))),
        )
        for _ in range(draw(st.integers(min_value=1, max_value=4)))
    ]


@settings(max_examples=200, deadline=None)
@given(orders=orders_sharing_parts())
def test_property_orders_sharing_parts_are_written_as_if_they_did_not(orders):
    envelope = make_envelope()
    as_segments = write_interchange(envelope, "OW", [("940", order_segments(o)) for o in orders])
    assert write_940(orders, envelope, shares_parts=True) == as_segments


def test_given_a_generator_changing_one_line_object_when_written_then_each_order_has_its_own():
    def orders_reusing_a_line():
        line = ShippingOrderLine(Decimal(1), "EA", sku="MAT-1", line_number=1)
        for quantity in (1, 2, 3):
            line.quantity = Decimal(quantity)
            yield ShippingOrder(depositor_order_number=f"SP-{quantity}", lines=(line,))

    written = write_940(orders_reusing_a_line(), make_envelope()).decode()

    assert [s.split("*")[1] for s in written.split("~\n") if s.startswith("W01*")] == [
        "1",
        "2",
        "3",
    ]
