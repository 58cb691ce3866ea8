"""Property tests: any document survives write + read unchanged; damaged bytes raise IdocError."""

from __future__ import annotations

import contextlib
import io
import string
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.idoc import (
    Amount,
    ControlRecord,
    Delivery,
    DeliveryDate,
    DeliveryItem,
    DeliveryPartner,
    DocumentReference,
    GoodsMovement,
    GoodsMovementItem,
    HandlingUnit,
    HandlingUnitItem,
    IdocError,
    Invoice,
    InvoiceDate,
    InvoiceItem,
    InvoicePartner,
    InvoiceTotal,
    ItemIdentifier,
    ItemTax,
    delvry07_idoc,
    delvry07_written,
    package_bytes,
    read_package,
    write_delvry07,
    write_invoic02,
    write_wmmbid02,
)
from tests.connectors.idoc.builders import make_delivery, make_goods_movement, make_invoice

# values as SAP keeps them: no blanks around them (SAP drops those), XML-safe characters
TEXT = (
    st.text(
        alphabet=string.ascii_letters + string.digits + " -./#&<>'\"éřß中", min_size=1, max_size=12
    )
    .map(str.strip)
    .filter(bool)
)
MAYBE_TEXT = st.just("") | TEXT
CODE = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=3)
ITEM_NUMBER = st.integers(min_value=1, max_value=999_999).map(lambda n: f"{n:06d}")
DECIMAL = st.decimals(min_value=-(10**9), max_value=10**9, places=3)
MAYBE_DECIMAL = st.none() | DECIMAL
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
MOMENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
MAYBE_MOMENT = st.none() | MOMENT
SHORT = st.sampled_from(["", "LS", "KU", "LI"])
PORT = st.just("") | TEXT.filter(lambda text: len(text) <= 10)
tuples = st.lists


def control(idoc_type: str, message_types: list[str]):
    return st.builds(
        ControlRecord,
        idoc_type=st.just(idoc_type),
        message_type=st.sampled_from(message_types),
        docnum=st.just("") | st.integers(min_value=0, max_value=10**16 - 1).map(str),
        sender_port=PORT,
        sender_partner_type=SHORT,
        sender_partner=PORT,
        receiver_port=PORT,
        receiver_partner_type=SHORT,
        receiver_partner=PORT,
        created_at=MAYBE_MOMENT,
        client=st.sampled_from(["", "100", "800"]),
        direction=st.sampled_from(["", "1", "2"]),
        status=st.sampled_from(["", "30", "53"]),
        is_test=st.booleans(),
        message_reference=st.just("") | TEXT,
        archive_key=st.just("") | TEXT,
    )


def small(strategy, max_size: int = 2):
    return st.lists(strategy, max_size=max_size).map(tuple)


DELIVERY = st.builds(
    Delivery,
    control=control("DELVRY07", ["SHPCON", "DESADV"]),
    delivery_number=TEXT,
    actions=small(st.sampled_from(["PGI", "PIC", "ORI", "CHG"])),
    shipping_point=MAYBE_TEXT,
    sales_organization=MAYBE_TEXT,
    bill_of_lading=MAYBE_TEXT,
    external_id=MAYBE_TEXT,
    gross_weight=MAYBE_DECIMAL,
    net_weight=MAYBE_DECIMAL,
    weight_unit=st.sampled_from(["", "KGM", "LBR"]),
    partners=small(
        st.builds(DeliveryPartner, role=CODE, number=MAYBE_TEXT, name=MAYBE_TEXT,
                  street=MAYBE_TEXT, postal_code=MAYBE_TEXT, city=MAYBE_TEXT, country=MAYBE_TEXT)
    ),
    dates=small(
        st.builds(DeliveryDate, qualifier=CODE, planned_start=MAYBE_MOMENT,
                  planned_end=MAYBE_MOMENT, actual_start=MAYBE_MOMENT, actual_end=MAYBE_MOMENT,
                  time_zone=st.sampled_from(["", "UTC", "CET"]))
    ),
    items=small(
        st.builds(DeliveryItem, item_number=ITEM_NUMBER, material=MAYBE_TEXT,
                  quantity=MAYBE_DECIMAL, unit=MAYBE_TEXT, batch=MAYBE_TEXT, plant=MAYBE_TEXT,
                  storage_location=MAYBE_TEXT, description=MAYBE_TEXT, ean=MAYBE_TEXT,
                  base_quantity=MAYBE_DECIMAL, base_unit=MAYBE_TEXT,
                  sales_order_number=MAYBE_TEXT, sales_order_item=st.just("") | ITEM_NUMBER,
                  actions=small(st.just("QUA"), 1))
    ),
    handling_units=small(
        st.builds(
            HandlingUnit, identifier=TEXT, tracking_number=MAYBE_TEXT,
            packaging_material=MAYBE_TEXT, gross_weight=MAYBE_DECIMAL, weight_unit=MAYBE_TEXT,
            items=small(st.builds(HandlingUnitItem, delivery_item=st.just("") | ITEM_NUMBER,
                                  quantity=MAYBE_DECIMAL, unit=MAYBE_TEXT, material=MAYBE_TEXT,
                                  batch=MAYBE_TEXT)),
        )
    ),
)  # fmt: skip

GOODS_MOVEMENT = st.builds(
    GoodsMovement,
    control=control("WMMBID02", ["WMMBXY"]),
    posting_date=DAY,
    items=st.lists(
        st.builds(GoodsMovementItem, movement_type=st.sampled_from(["701", "702"]),
                  material=TEXT, plant=TEXT, quantity=DECIMAL, unit=TEXT,
                  storage_location=MAYBE_TEXT, batch=MAYBE_TEXT, reason=MAYBE_TEXT,
                  text=MAYBE_TEXT),
        min_size=1, max_size=4,
    ).map(tuple),
    document_date=st.none() | DAY,
    reference=MAYBE_TEXT,
    header_text=MAYBE_TEXT,
    transaction_code=st.sampled_from(["", "MB11", "MIGO"]),
)  # fmt: skip


def references(item_field_values):
    return small(
        st.builds(DocumentReference, qualifier=CODE, number=TEXT, item=item_field_values,
                  date=st.none() | DAY)
    )  # fmt: skip


INVOICE = st.builds(
    Invoice,
    control=control("INVOIC02", ["INVOIC"]),
    invoice_number=TEXT,
    currency=st.sampled_from(["USD", "EUR", "GBP"]),
    document_type=st.sampled_from(["", "INVO", "CRME"]),
    payment_terms=MAYBE_TEXT,
    partners=small(
        st.builds(InvoicePartner, role=CODE, number=MAYBE_TEXT, name=MAYBE_TEXT,
                  street=MAYBE_TEXT, city=MAYBE_TEXT, postal_code=MAYBE_TEXT, country=MAYBE_TEXT)
    ),
    references=references(st.just("") | ITEM_NUMBER),
    dates=small(st.builds(InvoiceDate, qualifier=CODE, date=DAY)),
    items=small(
        st.builds(
            InvoiceItem, item_number=ITEM_NUMBER, quantity=MAYBE_DECIMAL, unit=MAYBE_TEXT,
            plant=MAYBE_TEXT, references=references(st.just("") | ITEM_NUMBER),
            identifiers=small(st.builds(ItemIdentifier, qualifier=CODE, identifier=TEXT,
                                        description=MAYBE_TEXT)),
            amounts=small(st.builds(Amount, qualifier=CODE, amount=DECIMAL)),
            taxes=small(st.builds(ItemTax, code=MAYBE_TEXT, rate=MAYBE_DECIMAL,
                                  amount=MAYBE_DECIMAL)),
        )
    ),
    totals=small(st.builds(InvoiceTotal, qualifier=CODE, amount=DECIMAL,
                           currency=st.sampled_from(["", "USD"]))),
)  # fmt: skip


def round_trip(writer, documents, soap: bool) -> list:
    out = io.BytesIO()
    writer(documents, out, soap=soap)
    return list(read_package(out.getvalue()))


@settings(max_examples=75, deadline=None)
@given(deliveries=st.lists(DELIVERY, min_size=1, max_size=2), soap=st.booleans())
def test_property_deliveries_survive_write_and_read(deliveries, soap):
    assert round_trip(write_delvry07, deliveries, soap) == deliveries


@settings(max_examples=150, deadline=None)
@given(deliveries=st.lists(DELIVERY, min_size=1, max_size=3), soap=st.booleans())
def test_property_deliveries_written_as_text_are_the_bytes_of_their_segments(deliveries, soap):
    # given the same deliveries, as segments and as text composed directly
    as_segments = package_bytes([delvry07_idoc(d) for d in deliveries], soap=soap)

    # when written through the text path (what write_delvry07 and the SHPCON job use)
    as_text = package_bytes([delvry07_written(d) for d in deliveries], soap=soap)

    # then byte for byte the same package
    assert as_text == as_segments


@settings(max_examples=75, deadline=None)
@given(movements=st.lists(GOODS_MOVEMENT, min_size=1, max_size=2), soap=st.booleans())
def test_property_goods_movements_survive_write_and_read(movements, soap):
    assert round_trip(write_wmmbid02, movements, soap) == movements


@settings(max_examples=75, deadline=None)
@given(invoices=st.lists(INVOICE, min_size=1, max_size=2), soap=st.booleans())
def test_property_invoices_survive_write_and_read(invoices, soap):
    assert round_trip(write_invoic02, invoices, soap) == invoices


def _package(writer, documents) -> bytes:
    out = io.BytesIO()
    writer(documents, out)
    return out.getvalue()


VALID_PACKAGES = [
    _package(write_delvry07, [make_delivery(1), make_delivery(2)]),
    _package(write_wmmbid02, [make_goods_movement()]),
    _package(write_invoic02, [make_invoice()]),
]
EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5000),
        st.integers(min_value=0, max_value=8),
        st.binary(max_size=6)
        | st.sampled_from([b"<", b">", b"</IDOC>", b"<IDOC>", b"&", b"&x;", b"<!DOCTYPE x>", b""]),
    ),
    min_size=1,
    max_size=4,
)


def damaged(data: bytes, edits) -> bytes:
    for at, length, insert in edits:
        at %= len(data) + 1
        data = data[:at] + insert + data[at + length :]
    return data


@settings(max_examples=400, deadline=None)
@given(which=st.sampled_from(range(len(VALID_PACKAGES))), edits=EDITS)
def test_property_damaged_packages_raise_only_idoc_errors(which, edits):
    with contextlib.suppress(IdocError):
        for document in read_package(damaged(VALID_PACKAGES[which], edits)):
            assert document.control.idoc_type


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_property_arbitrary_bytes_raise_only_idoc_errors(data):
    with contextlib.suppress(IdocError):
        list(read_package(data))
