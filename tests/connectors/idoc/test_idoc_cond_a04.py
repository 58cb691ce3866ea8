"""COND_A04 read as a stream: one price per condition record, refused rows, hostile files."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from connectors.idoc import ControlRecord, IdocStructureError, MalformedXmlError, UnsafeXmlError
from connectors.idoc.cond_a04 import Price, read_prices, write_prices
from connectors.idoc.errors import RefusedRow

CONTROL = ControlRecord(
    idoc_type="COND_A04",
    message_type="COND_A",
    sender_port="SAPERP",
    sender_partner_type="LS",
    sender_partner="ERPCLNT100",
    created_at=datetime(2026, 12, 1, 4, 0, 0),
    client="100",
    direction="1",
)

# A price condition (table 304) with two validity periods, as SAP writes it.
CONDITION_IDOC = """
<IDOC BEGIN="1">
  <EDI_DC40 SEGMENT="1">
    <TABNAM>EDI_DC40</TABNAM><MANDT>100</MANDT><DOCNUM>{docnum}</DOCNUM><DOCREL>757</DOCREL>
    <STATUS>30</STATUS><DIRECT>1</DIRECT><OUTMOD>2</OUTMOD><IDOCTYP>COND_A04</IDOCTYP>
    <MESTYP>COND_A</MESTYP><SNDPOR>SAPERP</SNDPOR><SNDPRT>LS</SNDPRT><SNDPRN>ERPCLNT100</SNDPRN>
  </EDI_DC40>
  <E1KOMG SEGMENT="1">
    <KVEWE>A</KVEWE><KOTABNR>304</KOTABNR><KAPPL>V</KAPPL><KSCHL>PR00</KSCHL>
    <VAKEY>100010000000000010000042</VAKEY><VKORG>1000</VKORG><VTWEG>10</VTWEG>
    <MATNR>{matnr}</MATNR><EVRTP>00000</EVRTP><POSNR>000000</POSNR>
    <E1KONH SEGMENT="1">
      <KNUMH>0000101692</KNUMH><DATAB>{datab}</DATAB><DATBI>20261231</DATBI>
      <E1KONP SEGMENT="1">
        <KSCHL>PR00</KSCHL><STFKZ>A</STFKZ><KRECH>C</KRECH><KBETR>{kbetr}</KBETR>
        <KONWA>{konwa}</KONWA><KPEIN>{kpein}</KPEIN><KMEIN>EA</KMEIN><KUMZA>1</KUMZA>
        <LOEVM_KO>{loevm}</LOEVM_KO>
      </E1KONP>
    </E1KONH>
    <E1KONH SEGMENT="1">
      <KNUMH>0000101693</KNUMH><DATAB>20270101</DATAB><DATBI>99991231</DATBI>
      <E1KONP SEGMENT="1">
        <KSCHL>PR00</KSCHL><KBETR>21.50</KBETR><KONWA>EUR</KONWA><KPEIN>1</KPEIN>
        <KMEIN>EA</KMEIN>
      </E1KONP>
    </E1KONH>
  </E1KOMG>
</IDOC>"""

GOOD = {
    "matnr": "000000000010000042",
    "datab": "20260101",
    "kbetr": "199.90",
    "konwa": "EUR",
    "kpein": "10",
    "loevm": "",
}


def package(*idocs: str) -> bytes:
    body = "".join(idocs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<COND_A04>{body}\n</COND_A04>'.encode()


def condition(docnum: int = 1, **changes: str) -> str:
    return CONDITION_IDOC.format(docnum=f"{docnum:016d}", **{**GOOD, **changes})


NOW = Price(
    position=1,
    docnum="0000000000000001",
    condition_type="PR00",
    sales_org="1000",
    distribution_channel="10",
    material="000000000010000042",
    amount=Decimal("199.90"),
    currency="EUR",
    per=10,
    unit="EA",
    valid_from=date(2026, 1, 1),
    valid_to=date(2026, 12, 31),
    deleted=False,
    record_number="0000101692",
)
NEXT_YEAR = replace(
    NOW,
    amount=Decimal("21.50"),
    per=1,
    valid_from=date(2027, 1, 1),
    valid_to=date(9999, 12, 31),
    record_number="0000101693",
)


def test_each_condition_record_is_a_price():
    assert list(read_prices(io.BytesIO(package(condition())))) == [NOW, NEXT_YEAR]


def test_prices_keep_file_order_position_and_docnum(tmp_path):
    path = tmp_path / "cond.xml"
    path.write_bytes(package(condition(3), condition(4, matnr="A-1")))

    prices = list(read_prices(path))

    assert [(p.position, p.docnum, p.material) for p in prices] == [
        (1, "0000000000000003", "000000000010000042"),
        (1, "0000000000000003", "000000000010000042"),
        (2, "0000000000000004", "A-1"),
        (2, "0000000000000004", "A-1"),
    ]


def test_a_negative_amount_and_the_deletion_flag_are_read():
    (price, _) = read_prices(package(condition(kbetr="5.00-", loevm="X")))

    assert price.amount == Decimal("-5.00")
    assert price.deleted is True


@pytest.mark.parametrize(
    ("changes", "segment", "field", "reason"),
    [
        ({"konwa": ""}, "E1KONP", "KONWA", "KONWA is empty"),
        ({"matnr": ""}, "E1KOMG", "MATNR", "MATNR is empty"),
        ({"datab": "20251301"}, "E1KONH", "DATAB", "DATAB '20251301' is not a date YYYYMMDD"),
        ({"datab": ""}, "E1KONH", "DATAB", "DATAB is empty"),
        ({"kbetr": "12,50"}, "E1KONP", "KBETR", "KBETR '12,50' is not a number"),
        ({"kbetr": ""}, "E1KONP", "KBETR", "KBETR is empty"),
        ({"kpein": "0"}, "E1KONP", "KPEIN", "KPEIN '0' is not a positive whole number"),
    ],
)
def test_a_bad_record_is_refused_with_its_reason_and_the_rest_are_read(
    changes, segment, field, reason
):
    # given a condition whose first record is bad, between two good ones
    data = package(condition(1), condition(2, **changes), condition(3))
    # when
    rows = list(read_prices(data))
    # then the bad record alone is refused
    assert len(rows) == 6
    refused = rows[2]
    assert isinstance(refused, RefusedRow)
    key = changes.get("matnr", GOOD["matnr"]) or "100010000000000010000042"
    assert (refused.position, refused.docnum, refused.key) == (2, "0000000000000002", key)
    assert (refused.segment, refused.field, refused.reason) == (segment, field, reason)
    assert rows[:2] == [NOW, NEXT_YEAR]
    if field != "MATNR":  # the key is bad for both records of that condition
        assert rows[3] == replace(NEXT_YEAR, position=2, docnum="0000000000000002")
    assert rows[4:] == [
        replace(NOW, position=3, docnum="0000000000000003"),
        replace(NEXT_YEAR, position=3, docnum="0000000000000003"),
    ]


def test_a_condition_without_validity_period_is_refused():
    idoc = condition(1)
    idoc = idoc[: idoc.index("<E1KONH")] + "</E1KOMG>\n</IDOC>"

    (refused,) = read_prices(package(idoc))

    assert (refused.segment, refused.reason) == ("E1KONH", "the condition has no E1KONH segment")


def test_a_price_file_declaring_entities_is_refused_whole():
    data = package(condition()).replace(
        b"<COND_A04>", b'<!DOCTYPE COND_A04 [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<COND_A04>'
    )

    with pytest.raises(UnsafeXmlError):
        list(read_prices(data))


def test_a_price_file_that_is_not_well_formed_names_line_and_column():
    data = package(condition()).replace(b"<KMEIN>EA</KMEIN><KUMZA>", b"<KMEIN>EA<KUMZA>")

    with pytest.raises(MalformedXmlError) as raised:
        list(read_prices(data))

    assert raised.value.line is not None and raised.value.column is not None


def test_a_material_file_read_as_prices_is_refused_whole():
    data = package(condition()).replace(b"<IDOCTYP>COND_A04", b"<IDOCTYP>MATMAS05")

    with pytest.raises(IdocStructureError, match="MATMAS05 in a file read as COND_A04"):
        list(read_prices(data))


def test_the_content_hash_ignores_position_and_docnum_and_sees_a_new_amount():
    assert replace(NOW, position=5, docnum="5").content_hash() == NOW.content_hash()
    assert replace(NOW, amount=Decimal("199.91")).content_hash() != NOW.content_hash()
    assert replace(NOW, valid_to=date(2026, 12, 30)).content_hash() != NOW.content_hash()


def test_written_prices_read_back_equal():
    prices = [NOW, replace(NEXT_YEAR, position=2, deleted=True, amount=Decimal("-1.5"))]
    out = io.BytesIO()

    assert write_prices(prices, out, CONTROL) == 2
    assert list(read_prices(out.getvalue())) == prices
