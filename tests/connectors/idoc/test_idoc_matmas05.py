"""MATMAS05 read as a stream: materials, refused rows with their reasons, hostile files."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime

import pytest

from connectors.idoc import (
    ControlRecord,
    IdocStructureError,
    MalformedXmlError,
    UnsafeXmlError,
)
from connectors.idoc.errors import RefusedRow
from connectors.idoc.matmas05 import (
    Material,
    MaterialDescription,
    MaterialUnit,
    PlantData,
    SalesArea,
    read_materials,
    write_materials,
)

CONTROL = ControlRecord(
    idoc_type="MATMAS05",
    message_type="MATMAS",
    sender_port="SAPERP",
    sender_partner_type="LS",
    sender_partner="ERPCLNT100",
    receiver_port="SYNCPLAT",
    receiver_partner_type="LS",
    receiver_partner="SYNCPLAT",
    created_at=datetime(2026, 12, 1, 4, 0, 0),
    client="100",
    direction="1",
)

# One IDoc as SAP's XML port writes it, with segments the reader skips
# (E1MARA1, E1MBEWM, E1MLANM, a customer Z1 segment) and indentation.
SHIRT_IDOC = """
  <IDOC BEGIN="1">
    <EDI_DC40 SEGMENT="1">
      <TABNAM>EDI_DC40</TABNAM><MANDT>100</MANDT><DOCNUM>{docnum}</DOCNUM>
      <DOCREL>757</DOCREL><STATUS>30</STATUS><DIRECT>1</DIRECT><OUTMOD>2</OUTMOD>
      <IDOCTYP>MATMAS05</IDOCTYP><MESTYP>MATMAS</MESTYP><SNDPOR>SAPERP</SNDPOR>
      <SNDPRT>LS</SNDPRT><SNDPRN>ERPCLNT100</SNDPRN><RCVPOR>SYNCPLAT</RCVPOR>
      <RCVPRT>LS</RCVPRT><RCVPRN>SYNCPLAT</RCVPRN><CREDAT>20261201</CREDAT><CRETIM>040000</CRETIM>
    </EDI_DC40>
    <E1MARAM SEGMENT="1">
      <MSGFN>005</MSGFN>
      <MATNR>{matnr}</MATNR>
      <ERSDA>20240228</ERSDA>
      <ERNAM>MDM</ERNAM>
      <PSTAT>KVEDLB</PSTAT>
      <MTART>HAWA</MTART>
      <MBRSH>M</MBRSH>
      <MATKL>APP-TOPS</MATKL>
      <MEINS>{meins}</MEINS>
      <BRGEW>0.250</BRGEW>
      <GEWEI>KGM</GEWEI>
      <EAN11>{ean}</EAN11>
      <NUMTP>HE</NUMTP>
      <E1MARA1 SEGMENT="1"><MAXC>0.000</MAXC></E1MARA1>
      <E1MAKTM SEGMENT="1">
        <MSGFN>005</MSGFN><SPRAS>E</SPRAS><MAKTX>T-shirt black M</MAKTX><SPRAS_ISO>EN</SPRAS_ISO>
      </E1MAKTM>
      <E1MAKTM SEGMENT="1">
        <MSGFN>005</MSGFN><SPRAS>{spras}</SPRAS><MAKTX>T-Shirt schwarz M</MAKTX>
      </E1MAKTM>
      <E1MARCM SEGMENT="1">
        <MSGFN>005</MSGFN><WERKS>1000</WERKS><MMSTA>01</MMSTA><EKGRP>001</EKGRP>
        <E1MARC1 SEGMENT="1"/>
      </E1MARCM>
      <E1MARCM SEGMENT="1">
        <MSGFN>005</MSGFN><WERKS>{werks}</WERKS><LVORM>X</LVORM>
      </E1MARCM>
      <E1MARMM SEGMENT="1">
        <MSGFN>005</MSGFN><MEINH>EA</MEINH><UMREZ>1</UMREZ><UMREN>1</UMREN>
        <EAN11>{ean}</EAN11><NUMTP>HE</NUMTP>
        <E1MEANM SEGMENT="1">
          <MSGFN>005</MSGFN><MEINH>EA</MEINH><LFNUM>00001</LFNUM>
          <EAN11>{ean}</EAN11><EANTP>HE</EANTP><HPEAN>X</HPEAN>
        </E1MEANM>
        <E1MEANM SEGMENT="1">
          <MSGFN>005</MSGFN><MEINH>EA</MEINH><LFNUM>00002</LFNUM>
          <EAN11>{ean_2}</EAN11><EANTP>UC</EANTP>
        </E1MEANM>
      </E1MARMM>
      <E1MARMM SEGMENT="1">
        <MSGFN>005</MSGFN><MEINH>PAK</MEINH><UMREZ>{umrez}</UMREZ><UMREN>1</UMREN>
        <E1MEANM SEGMENT="1">
          <MSGFN>005</MSGFN><MEINH>PAK</MEINH><LFNUM>00001</LFNUM>
          <EAN11>4012345000009</EAN11><EANTP>HE</EANTP><HPEAN>X</HPEAN>
        </E1MEANM>
      </E1MARMM>
      <E1MBEWM SEGMENT="1"><MSGFN>005</MSGFN><BWKEY>1000</BWKEY><STPRS>4.10</STPRS></E1MBEWM>
      <E1MVKEM SEGMENT="1">
        <MSGFN>005</MSGFN><VKORG>1000</VKORG><VTWEG>10</VTWEG><VMSTA>Z1</VMSTA>
        <VMSTD>{vmstd}</VMSTD><MTPOS>NORM</MTPOS><DWERK>1000</DWERK>
      </E1MVKEM>
      <E1MVKEM SEGMENT="1">
        <MSGFN>005</MSGFN><VKORG>1000</VKORG><VTWEG>{vtweg}</VTWEG><LVORM>X</LVORM>
      </E1MVKEM>
      <E1MLANM SEGMENT="1"><MSGFN>005</MSGFN><ALAND>DE</ALAND><TATY1>MWST</TATY1></E1MLANM>
    </E1MARAM>
    <Z1MARA_ADD SEGMENT="1"><WGBEZ60>Tops</WGBEZ60></Z1MARA_ADD>
  </IDOC>"""

GOOD = {
    "matnr": "000000000010000042",
    "meins": "EA",
    "ean": "4006381333931",
    "ean_2": "012345678905",
    "spras": "D",
    "werks": "1100",
    "umrez": "6",
    "vmstd": "20261115",
    "vtweg": "20",
}


def package(*idocs: str, root: str = "MATMAS05") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{"".join(idocs)}\n</{root}>\n'.encode()


def shirt(docnum: int = 1, **changes: str) -> str:
    return SHIRT_IDOC.format(docnum=f"{docnum:016d}", **{**GOOD, **changes})


SHIRT = Material(
    position=1,
    docnum="0000000000000001",
    number="000000000010000042",
    deleted=False,
    material_type="HAWA",
    material_group="APP-TOPS",
    base_unit="EA",
    descriptions=(
        MaterialDescription("EN", "T-shirt black M"),
        MaterialDescription("D", "T-Shirt schwarz M"),
    ),
    units=(
        MaterialUnit("EA", 1, 1, ("4006381333931", "012345678905"), "4006381333931"),
        MaterialUnit("PAK", 6, 1, ("4012345000009",), "4012345000009"),
    ),
    sales_areas=(
        SalesArea("1000", "10", False, "Z1", date(2026, 11, 15)),
        SalesArea("1000", "20", True, "", None),
    ),
    plants=(PlantData("1000", False, "01"), PlantData("1100", True, "")),
)


def test_a_material_is_read_with_every_field_and_the_other_segments_skipped():
    # when
    materials = list(read_materials(io.BytesIO(package(shirt()))))
    # then
    assert materials == [SHIRT]


def test_materials_come_in_file_order_with_their_position_and_docnum(tmp_path):
    path = tmp_path / "matmas.xml"
    path.write_bytes(package(shirt(7), shirt(8, matnr="A-1"), shirt(9, matnr="A-2")))

    materials = list(read_materials(path))

    assert [(m.position, m.docnum, m.number) for m in materials] == [
        (1, "0000000000000007", "000000000010000042"),
        (2, "0000000000000008", "A-1"),
        (3, "0000000000000009", "A-2"),
    ]


def test_the_deletion_flag_of_the_material_is_read():
    idoc = shirt().replace("<MSGFN>005</MSGFN>\n      <MATNR>", "<LVORM>X</LVORM><MATNR>", 1)

    (material,) = read_materials(package(idoc))

    assert material.deleted is True
    assert material.number == SHIRT.number


@pytest.mark.parametrize(
    ("changes", "segment", "field", "reason"),
    [
        ({"matnr": ""}, "E1MARAM", "MATNR", "MATNR is empty"),
        ({"matnr": "   "}, "E1MARAM", "MATNR", "MATNR is empty"),
        ({"meins": ""}, "E1MARAM", "MEINS", "MEINS is empty"),
        (
            {"ean": "4006381333932"},
            "E1MARAM",
            "EAN11",
            "EAN11 4006381333932: check digit should be 1",
        ),
        (
            {"ean_2": "012345678904"},
            "E1MEANM",
            "EAN11",
            "EAN11 012345678904: check digit should be 5",
        ),
        (
            {"ean_2": "12345-678"},
            "E1MEANM",
            "EAN11",
            "EAN11 '12345-678': not a GTIN (8, 12, 13 or 14 digits)",
        ),
        ({"spras": ""}, "E1MAKTM", "SPRAS", "SPRAS is empty"),
        ({"werks": ""}, "E1MARCM", "WERKS", "WERKS is empty"),
        ({"vtweg": ""}, "E1MVKEM", "VTWEG", "VTWEG is empty"),
        ({"umrez": "0"}, "E1MARMM", "UMREZ", "UMREZ '0' is not a positive whole number"),
        ({"umrez": "1.5"}, "E1MARMM", "UMREZ", "UMREZ '1.5' is not a positive whole number"),
        ({"vmstd": "20251301"}, "E1MVKEM", "VMSTD", "VMSTD '20251301' is not a date YYYYMMDD"),
        ({"vmstd": "2025-11-01"}, "E1MVKEM", "VMSTD", "VMSTD '2025-11-01' is not a date YYYYMMDD"),
    ],
)
def test_a_bad_material_is_refused_with_its_reason_and_the_next_one_is_read(
    changes, segment, field, reason
):
    # given a good material, a bad one, a good one
    data = package(shirt(1), shirt(2, **changes), shirt(3, matnr="000000000010000043"))
    # when
    rows = list(read_materials(data))
    # then
    key = changes.get("matnr", GOOD["matnr"]).strip()
    refused = rows[1]
    assert isinstance(refused, RefusedRow)
    assert (refused.position, refused.docnum, refused.key) == (2, "0000000000000002", key)
    assert (refused.segment, refused.field, refused.reason) == (segment, field, reason)
    assert refused.line is not None and refused.line > SHIRT_IDOC.count("\n")
    assert rows[0] == SHIRT
    assert rows[2] == replace(SHIRT, position=3, docnum=f"{3:016d}", number="000000000010000043")
    assert len(rows) == 3


def test_an_idoc_without_e1maram_is_refused():
    idoc = (
        '<IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><DOCNUM>5</DOCNUM><IDOCTYP>MATMAS05</IDOCTYP>'
        "<MESTYP>MATMAS</MESTYP></EDI_DC40></IDOC>"
    )

    rows = list(read_materials(package(idoc, shirt(6))))

    assert rows[0] == RefusedRow(1, "5", "", "E1MARAM", "", "the IDoc has no E1MARAM segment", 2)
    assert rows[1].number == SHIRT.number


def test_a_docnum_that_is_not_a_number_refuses_that_idoc_only():
    rows = list(read_materials(package(shirt(1).replace("0000000000000001", "00000000000000X1"))))

    assert rows == [
        RefusedRow(
            1,
            "",
            "",
            "EDI_DC40",
            "DOCNUM",
            "DOCNUM '00000000000000X1' is not a number of at most 16 digits",
            4,
        )
    ]


def test_a_file_declaring_a_doctype_is_refused_whole():
    data = package(shirt()).replace(
        b"<MATMAS05>",
        b'<!DOCTYPE MATMAS05 [<!ENTITY x "boom">]>\n<MATMAS05>',
    )

    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        list(read_materials(data))


def test_an_entity_bomb_is_refused_without_expanding_it():
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE MATMAS05 [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b"]>\n<MATMAS05><IDOC>&c;</IDOC></MATMAS05>"
    )

    with pytest.raises(UnsafeXmlError):
        list(read_materials(bomb))


def test_a_file_that_is_not_well_formed_fails_with_line_and_column():
    data = package(shirt(1), shirt(2)).replace(b"<MATKL>APP-TOPS</MATKL>", b"<MATKL>APP</MATKX>", 2)
    lines = data.split(b"\n")
    broken_line = next(n for n, line in enumerate(lines, 1) if b"</MATKX>" in line)

    with pytest.raises(MalformedXmlError) as raised:
        list(read_materials(data))

    assert raised.value.line == broken_line
    assert raised.value.column > 0
    assert f"line {broken_line}, column" in str(raised.value)


def test_a_truncated_file_yields_what_it_holds_then_fails():
    data = package(shirt(1), shirt(2))
    cut = data[: data.rindex(b"<E1MVKEM")]
    rows = []

    with pytest.raises(MalformedXmlError):
        for row in read_materials(cut):
            rows.append(row)

    assert rows == [SHIRT]


def test_a_price_file_read_as_materials_is_refused_whole():
    data = package(shirt()).replace(b"<IDOCTYP>MATMAS05", b"<IDOCTYP>COND_A04")

    with pytest.raises(IdocStructureError, match="IDoc type COND_A04 in a file read as MATMAS05"):
        list(read_materials(data))


def test_a_package_root_that_is_not_the_idoc_type_is_refused():
    with pytest.raises(IdocStructureError, match="in a <DEBMAS06> package"):
        list(read_materials(package(shirt(), root="DEBMAS06")))


def test_the_content_hash_ignores_position_and_docnum_and_sees_every_change():
    moved = replace(SHIRT, position=99, docnum="0000000000000099")
    renamed = replace(SHIRT, descriptions=(MaterialDescription("EN", "T-shirt black L"),))
    new_ean = replace(SHIRT, units=(replace(SHIRT.units[0], main_ean="012345678905"),))
    delisted = replace(SHIRT, sales_areas=(replace(SHIRT.sales_areas[0], deleted=True),))
    deleted = replace(SHIRT, deleted=True)

    hashes = {m.content_hash() for m in (SHIRT, renamed, new_ean, delisted, deleted)}

    assert moved.content_hash() == SHIRT.content_hash()
    assert len(hashes) == 5
    assert len(SHIRT.content_hash()) == 16


def test_written_materials_read_back_equal():
    # given
    other = replace(
        SHIRT,
        position=2,
        docnum="0000000000000002",
        number="B&W <1>",
        deleted=True,
        sales_areas=(),
        plants=(),
    )
    out = io.BytesIO()
    # when
    written = write_materials([SHIRT, other], out, CONTROL)
    # then
    assert written == 2
    assert list(read_materials(out.getvalue())) == [SHIRT, other]
