"""945 shipping advice: round trip, short shipments, and per-set document errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.edi import DocumentError, read_945, read_group, read_interchanges, write_945
from tests.connectors.edi.builders import make_advice, make_envelope


def sets_of(data: bytes):
    [interchange] = read_interchanges(data)
    return interchange.groups[0].transaction_sets


def test_given_advices_when_written_and_read_then_they_come_back_equal():
    advices = [make_advice("WEB-1"), make_advice("WEB-2")]
    assert [read_945(ts) for ts in sets_of(write_945(advices, make_envelope()))] == advices


def test_given_a_short_shipment_when_written_and_read_then_it_is_reported_short():
    [ts] = sets_of(write_945([make_advice()], make_envelope()))
    advice = read_945(ts)
    complete, short = advice.lines
    assert (complete.status, complete.is_short) == ("CC", False)
    assert (short.status, short.is_short) == ("CP", True)
    assert (short.quantity_ordered, short.quantity_shipped, short.quantity_difference) == (
        Decimal(3),
        Decimal(1),
        Decimal(2),
    )
    assert complete.tracking_numbers == ("1Z999AA10123456784",)
    assert (short.line_number, short.sku, short.sku_qualifier) == (2, "MUG-WHT", "VN")
    assert advice.shipped_on == date(2026, 11, 25)
    assert advice.carrier.scac == "UPSN"


def test_given_a_warehouse_945_when_read_then_the_fields_land_in_the_dataclass():
    text = (
        "ISA*00* *00* *ZZ*WAQE *ZZ*US *200901*1409*U*00401*043000123*0*P*>~"
        "GS*SW*WAQE*US*20200901*1409*123*X*004010~ST*945*6123~"
        "W06*F*IF102*20190604*BOL12345**PO9865~N1*ST*CUSTOMER XYZ~N3*123 CUSTOMER WAY~"
        "N4*ANYTOWN*KS*66216-4563~N1*SF***CHI~G62*10*20190602~NTE*WHI*Extra shrink~"
        "W27*M*NPLT*NORTHPOINT TRANSPOR*PP~W10*1~LX*10~MAN*GM*00000000000000000017~"
        "W12*CC*3000*3000*0*EA**VN*123456789*LOT12314~G69*WIDGETS 100 PER BOX~"
        "N9*LV*LPN6569~N9*LI*7~W03*3000*15000*LB~SE*18*6123~GE*1*123~IEA*1*043000123~"
    )
    [ts] = sets_of(text.encode())
    advice = read_945(ts)
    assert (advice.depositor_order_number, advice.shipment_id) == ("IF102", "BOL12345")
    assert advice.purchase_order_number == "PO9865"
    assert (advice.carrier.scac, advice.carrier.routing) == ("NPLT", "NORTHPOINT TRANSPOR")
    assert advice.party("ST").postal_code == "66216-4563"
    assert advice.party("SF").id_code == "CHI"
    [line] = advice.lines
    assert (line.quantity_shipped, line.unit, line.sku, line.lot_number) == (
        Decimal(3000),
        "EA",
        "123456789",
        "LOT12314",
    )
    assert line.line_number == 7
    assert line.references[0].value == "LPN6569"
    assert line.package_marks[0].qualifier == "GM"
    assert line.description == "WIDGETS 100 PER BOX"


def test_given_bad_sets_in_a_group_when_read_then_good_sets_are_still_delivered():
    advices = [make_advice("GOOD"), make_advice("BAD"), make_advice("ALSO")]
    data = write_945(advices, make_envelope())
    text = data.decode().split("\n")
    second_st = text.index("ST*945*0002~")
    for row, segment in enumerate(text[second_st:], start=second_st):
        if segment.startswith("W12*CC"):
            text[row] = segment.replace("W12*CC*2*2", "W12*CC*2*TWO")
            break
    text = [row for row in text if not row.startswith("W06*F*ALSO")]
    last_se = max(row for row, segment in enumerate(text) if segment.startswith("SE*"))
    count = int(text[last_se].split("*")[1])
    text[last_se] = f"SE*{count - 1}*0003~"  # the envelope stays sound without the W06
    text = "\n".join(text)
    [interchange] = read_interchanges(text.encode())
    results = read_group(interchange.groups[0])
    assert [r.is_accepted for r in results] == [True, False, False]
    assert results[0].document.depositor_order_number == "GOOD"
    [bad_quantity] = results[1].error.notes
    assert (bad_quantity.segment_id, bad_quantity.error_code) == ("W12", "8")
    assert (bad_quantity.elements[0].position, bad_quantity.elements[0].bad_value) == (3, "TWO")
    [missing] = results[2].error.notes
    assert (missing.segment_id, missing.error_code, missing.position) == ("W06", "3", 2)
    message = str(results[1].error)
    assert "945 set 0002" in message and "(W12, #" in message and "element W1203" in message


def test_given_w12_without_product_when_read_then_conditional_element_is_noted():
    data = write_945([make_advice()], make_envelope()).replace(
        b"W12*CC*2*2*0*EA*012345678905*SK*TSHIRT-BLK-M", b"W12*CC*2*2*0*EA"
    )
    [ts] = sets_of(data)
    with pytest.raises(DocumentError) as caught:
        read_945(ts)
    note = caught.value.notes[0]
    assert (note.elements[0].position, note.elements[0].error_code) == (6, "2")
