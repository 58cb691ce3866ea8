"""Property tests: any material or price survives write + read unchanged, hash and all."""

from __future__ import annotations

import io
import string
from dataclasses import replace
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.idoc import ControlRecord
from connectors.idoc.cond_a04 import Price, read_prices, write_prices
from connectors.idoc.matmas05 import (
    Material,
    MaterialDescription,
    MaterialUnit,
    PlantData,
    SalesArea,
    read_materials,
    write_materials,
)
from connectors.idoc.records import gtin_check_digit

# values as SAP keeps them: no blanks around them, XML-safe characters
TEXT = (
    st.text(alphabet=string.ascii_letters + string.digits + " -./#&<>'\"éß中", max_size=20)
    .map(str.strip)
    .filter(bool)
)
MAYBE_TEXT = st.just("") | TEXT
CODE = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=4)
MAYBE_CODE = st.just("") | CODE
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(9999, 12, 31))
FACTOR = st.integers(min_value=1, max_value=100_000)


@st.composite
def gtins(draw) -> str:
    length = draw(st.sampled_from([8, 12, 13, 14]))
    body = draw(st.text(alphabet=string.digits, min_size=length - 1, max_size=length - 1))
    return body + str(gtin_check_digit(body))


@st.composite
def units(draw) -> MaterialUnit:
    eans = tuple(draw(st.lists(gtins(), max_size=3, unique=True)))
    main = draw(st.sampled_from(eans)) if eans and draw(st.booleans()) else ""
    return MaterialUnit(draw(CODE), draw(FACTOR), draw(FACTOR), eans, main)


MATERIALS = st.builds(
    Material,
    position=st.just(1),
    docnum=st.integers(min_value=1, max_value=10**16 - 1).map(lambda n: f"{n:016d}"),
    number=TEXT,
    deleted=st.booleans(),
    material_type=MAYBE_CODE,
    material_group=MAYBE_TEXT,
    base_unit=CODE,
    descriptions=st.lists(st.builds(MaterialDescription, CODE, MAYBE_TEXT), max_size=3).map(tuple),
    units=st.lists(units(), max_size=3).map(tuple),
    sales_areas=st.lists(
        st.builds(SalesArea, CODE, CODE, st.booleans(), MAYBE_CODE, st.none() | DAY), max_size=3
    ).map(tuple),
    plants=st.lists(st.builds(PlantData, CODE, st.booleans(), MAYBE_CODE), max_size=3).map(tuple),
)

PRICES = st.builds(
    Price,
    position=st.just(1),
    docnum=st.integers(min_value=1, max_value=10**16 - 1).map(lambda n: f"{n:016d}"),
    condition_type=CODE,
    sales_org=CODE,
    distribution_channel=CODE,
    material=TEXT,
    amount=st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    currency=CODE,
    per=FACTOR,
    unit=MAYBE_CODE,
    valid_from=DAY,
    valid_to=DAY,
    deleted=st.booleans(),
    record_number=MAYBE_CODE,
)

CONTROL = ControlRecord(
    idoc_type="MATMAS05", message_type="MATMAS", created_at=datetime(2026, 12, 1, 2, 0, 0)
)


@settings(max_examples=150, deadline=None)
@given(st.lists(MATERIALS, min_size=1, max_size=4))
def test_any_materials_written_read_back_equal_with_the_same_hash(materials):
    materials = [replace(m, position=n) for n, m in enumerate(materials, 1)]
    out = io.BytesIO()

    write_materials(materials, out, CONTROL)
    read = list(read_materials(out.getvalue()))

    assert read == materials
    assert [m.content_hash() for m in read] == [m.content_hash() for m in materials]


@settings(max_examples=150, deadline=None)
@given(st.lists(PRICES, min_size=1, max_size=4))
def test_any_prices_written_read_back_equal(prices):
    prices = [replace(p, position=n) for n, p in enumerate(prices, 1)]
    out = io.BytesIO()

    write_prices(prices, out, replace(CONTROL, idoc_type="COND_A04", message_type="COND_A"))

    assert list(read_prices(out.getvalue())) == prices


@settings(max_examples=100, deadline=None)
@given(MATERIALS, MATERIALS)
def test_two_materials_hash_alike_only_when_equal_but_for_position_and_docnum(first, second):
    second = replace(second, position=7, docnum="0000000000000007")
    same = replace(first, position=7, docnum="0000000000000007") == second

    assert (first.content_hash() == second.content_hash()) == same
