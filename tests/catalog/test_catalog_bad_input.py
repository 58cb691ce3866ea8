"""Bad rows do not stop a load; a bad file fails it whole, naming line and column."""

import pytest

from connectors.idoc.catalog_files import BadRow, material_number
from syncplatform.audit.choices import TransactionState
from syncplatform.catalog.choices import LoadStatus
from syncplatform.catalog.models import CatalogLoad, Price, Product, RefusedRow
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.mappings.models import CodeMapping

pytestmark = pytest.mark.django_db(transaction=True)

MATERIAL_BAD_ROWS = {
    2: BadRow.MISSING_MATNR,
    5: BadRow.BAD_EAN,
    9: BadRow.UNKNOWN_UNIT,
    12: BadRow.BAD_DATE,
}


def test_each_bad_material_is_refused_with_its_reason_and_the_rest_is_loaded(
    materials_source, matmas_file
):
    path, _ = matmas_file("bad.xml", 15, bad_rows=MATERIAL_BAD_ROWS)

    summary = load_file_now(materials_source, path)

    assert summary.status == LoadStatus.SUCCEEDED
    assert (summary.read, summary.added, summary.refused) == (15, 11, 4)
    refused = {
        row.position: row
        for row in RefusedRow.objects.filter(load_id=summary.load_id).order_by("position")
    }
    assert sorted(refused) == [2, 5, 9, 12]
    assert (refused[2].segment, refused[2].field, refused[2].reason) == (
        "E1MARAM",
        "MATNR",
        "MATNR is empty",
    )
    assert refused[5].field == "EAN11" and "check digit should be" in refused[5].reason
    assert refused[5].key == material_number(5)
    assert (refused[9].segment, refused[9].field, refused[9].reason) == (
        "E1MARMM",
        "MEINH",
        "unit 'ZZ9' is not a known unit (an SAP unit code or a unit code mapping)",
    )
    assert refused[12].reason == "VMSTD '20251301' is not a date YYYYMMDD"
    assert all(row.docnum for row in refused.values())
    assert refused[5].line and refused[12].line  # lines of the file, not of the chunk
    lines = path.read_bytes().split(b"\n")
    assert b"VMSTD" in lines[refused[12].line - 1] or b"E1MVKEM" in lines[refused[12].line - 1]
    numbers = set(Product.objects.values_list("number", flat=True))
    assert numbers == {material_number(p) for p in range(1, 16)} - {
        material_number(p) for p in (2, 5, 9, 12)
    }
    load = CatalogLoad.objects.get(pk=summary.load_id)
    assert load.transaction.state == TransactionState.SUCCEEDED
    assert "refused 4" in load.transaction.events.last().message


def test_a_unit_mapping_makes_a_unit_known(channel, materials_source, matmas_file):
    CodeMapping.objects.create(
        channel=channel, code_type="unit", channel_code="ZZ9", erp_code="ZZ9"
    )
    path, _ = matmas_file("unit.xml", 10, bad_rows={9: BadRow.UNKNOWN_UNIT})

    summary = load_file_now(materials_source, path)

    assert (summary.added, summary.refused) == (10, 0)
    assert Product.objects.get(number=material_number(9)).units.filter(unit="ZZ9").exists()


def test_each_bad_price_is_refused_with_its_reason(prices_source, conda04_file):
    path, _generated = conda04_file(
        "bad.xml", 10, bad_rows={3: BadRow.MISSING_CURRENCY, 6: BadRow.BAD_DATE}
    )

    summary = load_file_now(prices_source, path)

    reasons = dict(
        RefusedRow.objects.filter(load_id=summary.load_id).values_list("field", "reason")
    )
    assert reasons == {
        "KONWA": "KONWA is empty",
        "DATAB": "DATAB '20251301' is not a date YYYYMMDD",
    }
    # each spoiled material lost its first price only; its other sales areas' prices loaded
    assert summary.refused == 2 and summary.added == Price.objects.count() == summary.read - 2


def _broken_in_idoc(path, position: int) -> tuple[bytes, int]:
    """The file with a mismatched end tag inside IDoc ``position``; and that tag's line."""
    data = path.read_bytes()
    at = -1
    for _ in range(position):
        at = data.index(b"<IDOC ", at + 1)
    tag = data.index(b"</MTART>", at)
    broken = data[:tag] + b"</MTARX>" + data[tag + len(b"</MTART>") :]
    return broken, data.count(b"\n", 0, tag) + 1


def test_a_file_broken_in_its_middle_fails_naming_the_files_line(
    materials_source, matmas_file, tmp_path
):
    # given a file whose 16th IDoc (the third chunk of 7) is not well-formed
    path, _ = matmas_file("base.xml", 20)
    broken, line = _broken_in_idoc(path, 16)
    broken_path = tmp_path / "broken.xml"
    broken_path.write_bytes(broken)

    # when
    summary = load_file_now(materials_source, broken_path)

    # then the load fails naming the line of the file, and nothing after it is loaded
    load = CatalogLoad.objects.get(pk=summary.load_id)
    assert load.status == LoadStatus.FAILED and load.error_code == "idoc_malformed_xml"
    assert f"line {line}, column " in load.error_message
    assert load.error_message.startswith("broken.xml: ")
    assert load.next_chunk == 2 and Product.objects.count() == 14
    tx = load.transaction
    assert tx.state == TransactionState.FAILED and tx.last_error_code == "idoc_malformed_xml"
    assert f"line {line}, column " in tx.last_error_message


def test_a_file_with_a_dtd_fails_whole(materials_source, matmas_file, tmp_path):
    path, _ = matmas_file("base.xml", 10)
    data = path.read_bytes()
    declaration_end = data.index(b"?>") + 2
    hostile = (
        data[:declaration_end]
        + b'\n<!DOCTYPE MATMAS05 [<!ENTITY boom "boom">]>'
        + data[declaration_end:]
    )
    hostile_path = tmp_path / "hostile.xml"
    hostile_path.write_bytes(hostile)

    summary = load_file_now(materials_source, hostile_path)

    assert summary.status == LoadStatus.FAILED
    load = CatalogLoad.objects.get(pk=summary.load_id)
    assert load.error_code == "idoc_unsafe_xml" and "DOCTYPE" in load.error_message
    assert Product.objects.count() == 0


def test_a_file_that_is_not_xml_fails_at_line_1(materials_source, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"material;description\n1;shirt\n")

    summary = load_file_now(materials_source, path)

    load = CatalogLoad.objects.get(pk=summary.load_id)
    assert load.status == LoadStatus.FAILED and load.error_code == "idoc_malformed_xml"
    assert "line 1, column 1" in load.error_message
    assert load.transaction.state == TransactionState.FAILED
