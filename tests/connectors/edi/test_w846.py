"""846 inventory advice, read from a hand-written project fixture."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.edi import DocumentError, read_846, read_interchanges
from tests.connectors.edi.builders import FIXTURES


def inventory_set(text: str | None = None):
    data = text.encode() if text else (FIXTURES / "inventory_846.edi").read_bytes()
    [interchange] = read_interchanges(data)
    [ts] = interchange.groups[0].transaction_sets
    return ts


def test_given_the_fixture_when_read_then_warehouse_items_and_quantities_come_out():
    advice = read_846(inventory_set())
    assert (advice.report_number, advice.reported_on, advice.purpose) == (
        "INV-20261123",
        date(2026, 11, 23),
        "00",
    )
    assert advice.warehouse.id_code == "WH01"
    assert advice.warehouse.city == "Columbus"
    shirt, mug = advice.items
    assert (shirt.sku, shirt.upc, shirt.description) == (
        "TSHIRT-BLK-M",
        "012345678905",
        "T-shirt black M",
    )
    assert shirt.quantity("33") == Decimal(120)
    assert shirt.quantity("17") == Decimal("131.5")
    assert [q.unit for q in shirt.quantities] == ["EA", "EA"]  # composite QTY03 read
    assert (mug.sku, mug.quantity("33"), mug.quantity("17")) == ("MUG-WHT", Decimal(0), None)
    assert mug.location.id_code == "WH02"  # an N1 inside the LIN loop


def test_given_a_bad_quantity_when_read_then_qty02_is_noted():
    fixture = (FIXTURES / "inventory_846.edi").read_text()
    with pytest.raises(DocumentError) as caught:
        read_846(inventory_set(fixture.replace("QTY*33*120*EA", "QTY*33*1,20*EA")))
    [note] = caught.value.notes
    assert (note.segment_id, note.position, note.elements[0].position) == ("QTY", 8, 2)


def test_given_no_bia_when_read_then_bia_is_noted_missing():
    fixture = (FIXTURES / "inventory_846.edi").read_text()
    text = fixture.replace("BIA*00*DD*INV-20261123*20261123*0600~\n", "").replace(
        "SE*14*0001", "SE*13*0001"
    )
    with pytest.raises(DocumentError) as caught:
        read_846(inventory_set(text))
    assert [(n.segment_id, n.error_code) for n in caught.value.notes] == [("BIA", "3")]
