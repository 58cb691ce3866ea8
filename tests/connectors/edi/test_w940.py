"""940 shipping orders: the writer's output reads back to the same order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.edi import (
    DocumentError,
    ShippingOrder,
    ShippingOrderLine,
    read_940,
    read_interchanges,
    write_940,
)
from connectors.errors import ConfigError
from tests.connectors.edi.builders import make_envelope, make_order


def only_sets(data: bytes):
    [interchange] = read_interchanges(data)
    [group] = interchange.groups
    return interchange, group, group.transaction_sets


def test_given_orders_when_written_and_read_then_they_come_back_equal():
    orders = [make_order("WEB-1"), make_order("WEB-2")]
    _, group, sets = only_sets(write_940(orders, make_envelope()))
    assert group.functional_id == "OW"
    assert [read_940(ts) for ts in sets] == orders


def test_given_the_default_version_when_written_then_the_isa_is_fixed_width_4010():
    data = write_940([make_order()], make_envelope(interchange_control_number=42))
    isa = data.decode().split("\n")[0]
    assert len(isa) == 106
    assert isa[3] == "*" and isa[-2:] == ">~"
    assert isa.split("*")[6] == "SYNCPLATFORM   "
    assert isa.split("*")[11:14] == ["U", "00401", "000000042"]
    assert isa.split("*")[15] == "T"
    gs = data.decode().split("\n")[1]
    assert gs.split("*")[6:] == ["77", "X", "004010~"]


def test_given_5010_when_written_then_isa11_is_the_repetition_separator_and_it_round_trips():
    data = write_940([make_order()], make_envelope(version="005010"))
    interchange, group, sets = only_sets(data)
    assert data.decode()[:106].split("*")[11:13] == ["^", "00501"]
    assert (interchange.version, group.version) == ("00501", "005010")
    assert interchange.delimiters.repetition == "^"
    assert read_940(sets[0]) == make_order()


def test_given_counts_when_written_then_se_ge_iea_match_what_was_written():
    data = write_940([make_order("A"), make_order("B"), make_order("C")], make_envelope())
    rows = data.decode().splitlines()
    assert rows[-2:] == ["GE*3*77~", "IEA*1*000000905~"]
    first_se = next(row for row in rows if row.startswith("SE*"))
    st = rows.index("ST*940*0001~")
    assert first_se == f"SE*{rows.index(first_se) - st + 1}*0001~"


def test_given_delimiters_in_values_when_written_then_they_become_spaces():
    order = make_order()
    order.parties[0].name = "Pat*Doe~Jr"
    _, _, [ts] = only_sets(write_940([order], make_envelope()))
    assert read_940(ts).parties[0].name == "Pat Doe Jr"


def test_given_an_impossible_envelope_when_written_then_config_error():
    with pytest.raises(ConfigError):
        write_940([make_order()], make_envelope(interchange_control_number=10**9))
    with pytest.raises(ConfigError):
        write_940([make_order()], make_envelope(usage="X"))


def test_given_a_940_without_lines_when_read_then_w01_is_noted_missing():
    order = ShippingOrder(depositor_order_number="WEB-9", lines=())
    _, _, [ts] = only_sets(write_940([order], make_envelope()))
    with pytest.raises(DocumentError) as caught:
        read_940(ts)
    [note] = caught.value.notes
    assert (note.segment_id, note.error_code, note.position) == ("W01", "3", ts.segment_count)


def test_given_a_non_numeric_quantity_when_read_then_the_element_is_noted():
    order = ShippingOrder("WEB-9", lines=(ShippingOrderLine(Decimal(1), "EA", sku="X"),))
    data = write_940([order], make_envelope()).replace(b"W01*1*EA", b"W01*ONE*EA")
    _, _, [ts] = only_sets(data)
    with pytest.raises(DocumentError) as caught:
        read_940(ts)
    [note] = caught.value.notes
    [element] = note.elements
    assert (note.segment_id, note.error_code) == ("W01", "8")
    assert (element.position, element.error_code, element.bad_value) == (1, "6", "ONE")
    assert "element W0101" in str(caught.value)
