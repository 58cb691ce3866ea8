"""Unchanged materials elided from a delta: the same catalog, counts and refusals as reading all.

A MATMAS05 chunk's IDocs whose data segments hash to the digest stored with
their product are read without those segments (``services.unchanged``). Each
test compares with what reading everything does, or with the rule it keeps.
"""

import pytest
from django.db import connection

from connectors.idoc.catalog_files import BadRow, material_number
from syncplatform.catalog.choices import LoadStatus
from syncplatform.catalog.models import CatalogSource, Product, RefusedRow
from syncplatform.catalog.services import materials, unchanged
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.mappings.models import CodeMapping
from tests.catalog.catalog_state import catalog_digest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def written(monkeypatch):
    """The material numbers each chunk handed to the writer (what was read in full)."""
    numbers: list[str] = []
    real = materials._write_postgresql

    def spy(load, accepted, digests):
        numbers.extend(m.number for m in accepted)
        return real(load, accepted, digests)

    monkeypatch.setattr(materials, "_write_postgresql", spy)
    return numbers


def _delta(matmas_file, name="delta.xml", **options):
    return matmas_file(name, 30, seed=2, base_seed=1, changed_fraction=0.1, **options)


def test_a_delta_reads_only_the_changed_materials_and_counts_the_rest_unchanged(
    materials_source, listing_channel, matmas_file, written
):
    # given a loaded catalog
    load_file_now(materials_source, matmas_file("base.xml", 30, seed=1)[0])
    assert Product.objects.filter(raw_hash__isnull=True).count() == 0
    written.clear()

    # when a delta with 3 of 30 changed is loaded
    path, generated = _delta(matmas_file)
    summary = load_file_now(materials_source, path)

    # then only the 3 were read in full and written; the 27 others counted unchanged
    assert sorted(written) == sorted(material_number(p) for p in generated.changes)
    assert (summary.read, summary.unchanged, summary.refused) == (30, 27, 0)
    assert summary.added + summary.changed + summary.deleted == 3


def test_a_delta_with_elisions_leaves_the_catalog_reading_everything_leaves(
    materials_source, listing_channel, matmas_file, monkeypatch
):
    # given the catalog and counts of a base and a delta read in full
    base, _ = matmas_file("base.xml", 30, seed=1)
    delta, _ = _delta(matmas_file)
    with monkeypatch.context() as patch:
        real = unchanged.fingerprint_chunk  # digests kept, nothing elided
        patch.setattr(unchanged, "fingerprint_chunk", lambda *args: (real(*args)[0], []))
        load_file_now(materials_source, base)
        full = load_file_now(materials_source, delta)
    expected = catalog_digest()
    _wipe()

    # when the same files are loaded with unchanged materials elided (second source)
    source = CatalogSource.objects.create(
        partner=materials_source.partner, code="again", kind="MATMAS05", chunk_size=7
    )
    load_file_now(source, base)
    elided = load_file_now(source, delta)

    # then
    assert catalog_digest() == expected
    counts = ("read", "added", "changed", "unchanged", "deleted", "refused", "listings_changed")
    assert [getattr(elided, c) for c in counts] == [getattr(full, c) for c in counts]


def test_a_refused_material_is_read_and_refused_again(
    materials_source, listing_channel, matmas_file, written
):
    # given a first load that refused material 5 (a wrong check digit)
    load_file_now(materials_source, matmas_file("base.xml", 30, bad_rows={5: BadRow.BAD_EAN})[0])
    written.clear()

    # when the delta carries the same bytes for it
    path, _ = _delta(matmas_file, bad_rows={5: BadRow.BAD_EAN})
    summary = load_file_now(materials_source, path)

    # then it is refused again with its reason
    refused = RefusedRow.objects.filter(load_id=summary.load_id)
    assert [(r.key, r.field) for r in refused] == [(material_number(5), "EAN11")]
    assert summary.refused == 1


def test_a_unit_mapping_ended_refuses_again_the_materials_it_let_in(
    channel, materials_source, matmas_file
):
    # given material 9 accepted with unit ZZ9 thanks to a unit code mapping
    mapping = CodeMapping.objects.create(
        channel=channel, code_type="unit", channel_code="ZZ9", erp_code="ZZ9"
    )
    load_file_now(
        materials_source, matmas_file("base.xml", 30, bad_rows={9: BadRow.UNKNOWN_UNIT})[0]
    )
    assert Product.objects.filter(number=material_number(9)).exists()

    # when the mapping is ended and a delta sends material 9's same bytes
    mapping.is_active = False
    mapping.save()
    path, _ = _delta(matmas_file, bad_rows={9: BadRow.UNKNOWN_UNIT})
    summary = load_file_now(materials_source, path)

    # then it is read and refused, as without elision
    refused = RefusedRow.objects.get(load_id=summary.load_id)
    assert (refused.key, refused.field) == (material_number(9), "MEINH")


def test_an_unchanged_material_with_a_bad_docnum_is_still_refused(materials_source, matmas_file):
    # given a loaded catalog
    load_file_now(materials_source, matmas_file("base.xml", 30, seed=1)[0])

    # when the delta's control record of unchanged material 4 has a DOCNUM that is no number
    path, generated = _delta(matmas_file)
    assert 4 not in generated.changes
    path.write_bytes(path.read_bytes().replace(b"<DOCNUM>0000000000000004<", b"<DOCNUM>4X<"))
    summary = load_file_now(materials_source, path)

    # then
    refused = RefusedRow.objects.get(load_id=summary.load_id)
    assert (refused.position, refused.field) == (4, "DOCNUM")
    assert summary.unchanged == 26


def test_an_unchanged_material_with_a_broken_control_record_fails_the_file_at_its_line(
    materials_source, matmas_file
):
    # given a loaded catalog
    load_file_now(materials_source, matmas_file("base.xml", 30, seed=1)[0])

    # when unchanged material 12's control record is not well-formed
    path, generated = _delta(matmas_file)
    assert 12 not in generated.changes
    data = path.read_bytes()
    at = data.index(b"<DOCNUM>0000000000000012</DOCNUM>")
    path.write_bytes(data[:at] + b"<DOCNUM>0000000000000012</DOCNUMX>" + data[at + 33 :])
    summary = load_file_now(materials_source, path)

    # then the load fails naming the file's line
    line = data[:at].count(b"\n") + 1
    assert summary.status == LoadStatus.FAILED
    assert f"line {line}" in summary.error


def test_a_new_unit_mapping_reads_every_material_again_once(
    channel, materials_source, matmas_file, written
):
    # given a loaded catalog
    load_file_now(materials_source, matmas_file("base.xml", 30, seed=1)[0])

    # when a unit mapping is added (the units known change) and a delta is loaded twice
    CodeMapping.objects.create(channel=channel, code_type="unit", channel_code="QQ", erp_code="QQ")
    written.clear()
    load_file_now(materials_source, _delta(matmas_file)[0])
    first = len(written)
    written.clear()
    load_file_now(materials_source, _delta(matmas_file, "delta-2.xml", first_docnum=101)[0])

    # then the first reads all 30 (writing only the 3 changed), the second none
    assert first == 30
    assert written == []


def _wipe():
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalog_listing; DELETE FROM catalog_barcode; "
            "DELETE FROM catalog_productunit; DELETE FROM catalog_product; "
            "DELETE FROM mappings_historicalskumapping; DELETE FROM mappings_skumapping;"
        )
