"""Each IDoc type written and read back, and what its readers make of the segments."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from connectors.errors import ConfigError
from connectors.idoc import (
    Delivery,
    GoodsMovement,
    GoodsMovementItem,
    InvalidValueError,
    Invoice,
    InvoiceTotal,
    MissingFieldError,
    iter_idocs,
    read_package,
    write_delvry07,
    write_invoic02,
    write_wmmbid02,
)
from tests.connectors.idoc.builders import (
    make_control,
    make_delivery,
    make_goods_movement,
    make_invoice,
)


def written(writer, documents, **options) -> bytes:
    out = io.BytesIO()
    assert writer(documents, out, **options) == len(documents)
    return out.getvalue()


@pytest.mark.parametrize(
    ("writer", "make"),
    [(write_delvry07, make_delivery), (write_wmmbid02, make_goods_movement),
     (write_invoic02, make_invoice)],
    ids=["DELVRY07", "WMMBID02", "INVOIC02"],
)  # fmt: skip
def test_given_a_package_of_each_type_when_written_and_read_then_the_same_documents(writer, make):
    # given
    documents = [make(number) for number in (1, 2, 3)]

    # when
    data = written(writer, documents)

    # then
    assert list(read_package(data)) == documents
    assert list(read_package(written(writer, documents, soap=True))) == documents


def test_given_a_shipment_confirmation_when_written_then_sap_finds_its_segments_where_it_looks():
    data = written(write_delvry07, [make_delivery()])

    (idoc,) = iter_idocs(data)
    (header,) = idoc.segments

    assert data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<DELVRY07>\n<IDOC BEGIN="1">\n<EDI_DC40 '
    )
    assert b'<EDI_DC40 SEGMENT="1"><TABNAM>EDI_DC40</TABNAM><MANDT>100</MANDT>' in data
    assert b"<DOCNUM>0000000000004711</DOCNUM>" in data
    assert b"<CREDAT>20261123</CREDAT><CRETIM>183005</CRETIM>" in data
    assert header.name == "E1EDL20" and header.fields["VBELN"] == "0080001234"
    assert [child.name for child in header.children] == [
        "E1EDL18", "E1ADRM1", "E1EDT13", "E1EDL24", "E1EDL24", "E1EDL37", "E1EDL37",
    ]  # fmt: skip
    assert header.children[2].fields == {
        "QUALF": "006", "TZONE_BEG": "UTC", "ISDD": "20261124", "ISDZ": "091500",
    }  # fmt: skip
    assert header.children[3].fields["LFIMG"] == "2"
    assert header.children[5].fields["EXIDV2"] == "1Z999AA10123456784"
    assert idoc.segment_count == 10


def test_given_a_confirmation_when_read_then_goods_issue_time_and_tracking_numbers_are_at_hand():
    (delivery,) = read_package(written(write_delvry07, [make_delivery()]))

    assert isinstance(delivery, Delivery)
    assert delivery.is_goods_issue
    assert delivery.goods_issued_at == datetime(2026, 11, 24, 9, 15)
    assert delivery.tracking_numbers == ("1Z999AA10123456784", "1Z999AA10123456791")


def test_given_stock_differences_when_made_into_items_then_701_gains_and_702_losses():
    movement = make_goods_movement()

    gain, loss = movement.items

    assert (gain.movement_type, gain.quantity, gain.signed_quantity) == ("701", 3, 3)
    assert (loss.movement_type, loss.quantity, loss.signed_quantity) == (
        "702", Decimal("1.5"), Decimal("-1.5"),
    )  # fmt: skip
    with pytest.raises(ValueError, match="other than zero"):
        GoodsMovementItem.for_difference(Decimal(0), material="M", plant="1000", unit="EA")


def test_given_a_movement_when_written_then_items_sit_under_the_header_as_in_wmmbid02():
    data = written(write_wmmbid02, [make_goods_movement()])

    (idoc,) = iter_idocs(data)
    (header,) = idoc.segments

    assert b"<WMMBID02>" in data and b"<MESTYP>WMMBXY</MESTYP>" in data
    assert header.name == "E1MBXYH" and header.fields["BUDAT"] == "20261124"
    assert [item.fields["BWART"] for item in header.each("E1MBXYI")] == ["701", "702"]
    assert header.children[1].fields["ERFMG"] == "1.5"


def test_given_an_invoice_when_read_then_our_order_delivery_and_totals_are_named():
    (invoice,) = read_package(written(write_invoic02, [make_invoice()]))

    assert isinstance(invoice, Invoice)
    assert invoice.sales_order_number == "0000012345"
    assert invoice.delivery_number == "0080001234"
    assert invoice.customer_order_number == "WEB-100234"
    assert invoice.total_due == Decimal("43.18")
    (item,) = invoice.items
    assert (item.material, item.net_value, item.reference("002")) == (
        "TSHIRT-BLK-M", Decimal("39.98"), "0000012345",
    )  # fmt: skip


def test_given_negative_amounts_when_written_then_the_sign_follows_the_number_as_in_sap():
    credit = replace(make_invoice(), totals=(InvoiceTotal("011", Decimal("-43.18")),))

    data = written(write_invoic02, [credit])

    assert b"<SUMME>43.18-</SUMME>" in data
    assert next(read_package(data)).total_due == Decimal("-43.18")


def test_given_a_document_without_a_mandatory_field_when_written_then_it_is_refused():
    movement = make_goods_movement()
    broken = GoodsMovement(movement.control, movement.posting_date, (
        GoodsMovementItem("701", "", "1000", Decimal(1), "EA"),
    ))  # fmt: skip

    with pytest.raises(MissingFieldError) as caught:
        written(write_wmmbid02, [broken])

    assert str(caught.value) == (
        "IDoc 0000000000004712, segment E1MBXYI, field MATNR: mandatory field is missing"
    )


def test_given_a_control_record_that_does_not_fit_when_written_then_a_config_error():
    control = make_control("DELVRY07", "SHPCON", receiver_port="A-PORT-NAME-TOO-LONG")
    too_long = replace(make_delivery(), control=control)

    with pytest.raises(
        ConfigError, match="EDI_DC40-RCVPOR 'A-PORT-NAME-TOO-LONG' is longer than 10"
    ):
        written(write_delvry07, [too_long])


def test_given_a_document_of_another_type_when_written_as_delivery_then_a_config_error():
    wrong = replace(make_delivery(), control=make_control("INVOIC02", "INVOIC"))

    with pytest.raises(ConfigError, match="a Delivery is a DELVRY07, not a INVOIC02"):
        written(write_delvry07, [wrong])


def test_given_an_item_number_that_is_not_numc_when_written_then_refused_as_the_reader_would():
    delivery = make_delivery()
    item = replace(delivery.items[0], item_number="10A")

    with pytest.raises(InvalidValueError) as caught:
        written(write_delvry07, [replace(delivery, items=(item,))])

    assert str(caught.value) == (
        "IDoc 0000000000004711, segment E1EDL24, field POSNR: "
        "'10A' is not a number of at most 6 digits"
    )


def test_given_a_control_character_in_a_value_when_written_then_refused_naming_the_field():
    invoice = make_invoice()
    partner = replace(invoice.partners[0], name="Pat\x07Doe")

    with pytest.raises(InvalidValueError) as caught:
        written(write_invoic02, [replace(invoice, partners=(partner,))])

    assert str(caught.value) == (
        "IDoc 0000000000009001, segment E1EDKA1, field NAME1: "
        "character U+0007 cannot be carried by XML"
    )
    assert caught.value.position == 1


def test_given_a_control_character_in_a_delivery_when_written_then_refused_naming_idoc_and_field():
    first, second = make_delivery(1), make_delivery(2)
    item = replace(second.items[0], batch="B\x0b1")

    with pytest.raises(InvalidValueError) as caught:
        written(write_delvry07, [first, replace(second, items=(item,))])

    assert str(caught.value) == (
        f"IDoc {second.control.docnum}, segment E1EDL24, field CHARG: "
        "character U+000B cannot be carried by XML"
    )
    assert caught.value.position == 2


def test_given_idocs_that_differ_only_by_docnum_and_archive_key_then_each_keeps_its_own():
    first = make_delivery(1)
    resent = replace(first, control=replace(first.control, docnum="77", archive_key="RESEND 12"))

    documents = list(read_package(written(write_delvry07, [first, resent, first])))

    assert [d.control.docnum for d in documents] == [
        first.control.docnum,
        "77",
        first.control.docnum,
    ]
    assert [d.control.archive_key for d in documents] == ["", "RESEND 12", ""]
