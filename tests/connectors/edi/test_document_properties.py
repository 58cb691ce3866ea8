"""Property tests: any well-formed document survives write + read unchanged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.edi import (
    CarrierRouting,
    PackageMark,
    Party,
    QualifiedDate,
    Reference,
    ShippingAdvice,
    ShippingAdviceLine,
    ShippingOrder,
    ShippingOrderLine,
    read_940,
    read_945,
    read_interchanges,
    write_940,
    write_945,
)
from tests.connectors.edi.builders import make_envelope

TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-./#&", min_size=1, max_size=20)
CODE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=3)
QUANTITY = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
REFERENCE = st.builds(Reference, CODE.filter(lambda code: code != "LI"), TEXT)
PARTY = st.builds(
    Party,
    role=st.sampled_from(["ST", "SF", "BT", "WH"]),
    name=TEXT,
    id_qualifier=st.sampled_from(["", "92", "9"]),
    id_code=st.just(""),
    address_lines=st.lists(TEXT, max_size=3).map(tuple),
    city=TEXT,
    region=st.sampled_from(["OH", "CA", ""]),
    postal_code=st.sampled_from(["43004", "94107-1234"]),
    country=st.sampled_from(["US", "CA"]),
)
CARRIER = st.builds(
    CarrierRouting, scac=st.sampled_from(["UPSN", "FDEG"]), routing=TEXT,
    transportation_method=st.sampled_from(["U", "M"]), payment_method=st.sampled_from(["PP", ""]),
)  # fmt: skip


def with_ids(line_type):
    return st.builds(
        line_type,
        upc=st.sampled_from(["", "012345678905"]),
        sku=TEXT,
        sku_qualifier=st.sampled_from(["SK", "VN", "BP"]),
        line_number=st.none() | st.integers(min_value=1, max_value=9999),
        references=st.lists(REFERENCE, max_size=2).map(tuple),
        description=st.sampled_from(["", "T-shirt black M"]),
    )


def order_line(quantity, unit):
    return with_ids(lambda **ids: ShippingOrderLine(quantity, unit, **ids))


ORDER = st.builds(
    ShippingOrder,
    depositor_order_number=TEXT,
    purchase_order_number=TEXT,
    parties=st.lists(PARTY, max_size=3).map(tuple),
    references=st.lists(REFERENCE, max_size=3).map(tuple),
    dates=st.lists(st.builds(QualifiedDate, CODE, DAY), max_size=2).map(tuple),
    carrier=st.none() | CARRIER,
    lines=st.lists(
        st.tuples(QUANTITY, st.sampled_from(["EA", "CA", "KG"])).flatmap(
            lambda pair: order_line(*pair)
        ),
        min_size=1,
        max_size=5,
    ).map(tuple),
)


def advice_line(ordered, shipped, unit):
    def build(**ids):
        line = ShippingAdviceLine.reporting(ordered=ordered, shipped=shipped, unit=unit)
        for name, value in ids.items():
            setattr(line, name, value)
        return line

    return with_ids(build)


ADVICE_LINE = st.tuples(QUANTITY, QUANTITY, st.sampled_from(["EA", "CA"])).flatmap(
    lambda values: advice_line(*values)
)
MARKS = st.lists(st.builds(PackageMark, st.sampled_from(["CP", "GM"]), TEXT), max_size=2)
ADVICE = st.builds(
    ShippingAdvice,
    depositor_order_number=TEXT,
    shipped_on=DAY,
    shipment_id=TEXT,
    purchase_order_number=TEXT,
    carrier=st.none() | CARRIER,
    parties=st.lists(PARTY, max_size=2).map(tuple),
    references=st.lists(REFERENCE, max_size=2).map(tuple),
    lines=st.lists(st.tuples(ADVICE_LINE, MARKS), min_size=1, max_size=4).map(
        lambda pairs: tuple(_marked(line, marks) for line, marks in pairs)
    ),
)


def _marked(line: ShippingAdviceLine, marks) -> ShippingAdviceLine:
    line.package_marks = tuple(marks)
    return line


def only_set(data: bytes):
    [interchange] = read_interchanges(data)
    [ts] = interchange.groups[0].transaction_sets
    return ts


@settings(max_examples=150, deadline=None)
@given(order=ORDER, version=st.sampled_from(["004010", "005010"]))
def test_property_any_shipping_order_round_trips(order, version):
    assert read_940(only_set(write_940([order], make_envelope(version=version)))) == order


@settings(max_examples=150, deadline=None)
@given(advice=ADVICE, version=st.sampled_from(["004010", "005010"]))
def test_property_any_shipping_advice_round_trips(advice, version):
    assert read_945(only_set(write_945([advice], make_envelope(version=version)))) == advice


def test_given_quantities_with_decimals_when_round_tripped_then_they_stay_decimal():
    line = ShippingAdviceLine.reporting(
        ordered=Decimal("2.50"), shipped=Decimal("0.75"), unit="KG", sku="X"
    )
    advice = ShippingAdvice("WEB-1", date(2026, 11, 23), lines=(line,))
    [read_line] = read_945(only_set(write_945([advice], make_envelope()))).lines
    assert read_line.quantity_difference == Decimal("1.75")
    assert isinstance(read_line.quantity_shipped, Decimal)
