"""The next chunk read while one is written: used only while the catalog still reads it the same."""

import re

import pytest
from django.db import connection

from connectors.idoc.catalog_files import material_number
from syncplatform.catalog.models import CatalogSource, Product
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.catalog.services.read_ahead import ReadAhead
from syncplatform.mappings.models import CodeMapping
from tests.catalog.catalog_state import catalog_digest

pytestmark = pytest.mark.django_db(transaction=True)

_IDOC = re.compile(rb"<IDOC[\s>].*?</IDOC>\s*", re.S)


def _idocs(path):
    data = path.read_bytes()
    found = list(_IDOC.finditer(data))
    return data[: found[0].start()], [m.group() for m in found], data[found[-1].end() :]


@pytest.fixture
def read_before_the_commit(monkeypatch):
    """Read-ahead as a thread does when it reads before the chunk being written commits."""
    started = []

    def start(self, load, index, reader):
        self.close()
        self._key = (load.pk, index)
        self._result = reader(load, index)  # here: before the writer of the chunk before it
        started.append(index)

    monkeypatch.setattr(ReadAhead, "start", start)
    return started


def test_a_material_changed_by_one_chunk_and_restored_by_the_next_ends_as_the_last_says(
    materials_source, listing_channel, matmas_file, read_before_the_commit
):
    # given a loaded catalog (chunks of 7), and a file whose first chunk changes a
    # material and whose second chunk sends that material again with its loaded bytes
    base, _ = matmas_file("base.xml", 20, seed=1)
    load_file_now(materials_source, base)
    delta, generated = matmas_file("delta.xml", 20, seed=2, base_seed=1, changed_fraction=0.5)
    at = min(generated.changes)  # 1-based
    assert at <= 7
    number = material_number(at)
    loaded = bytes(Product.objects.get(number=number).content_hash)
    head, base_idocs, tail = _idocs(base)
    _, delta_idocs, _ = _idocs(delta)
    assert delta_idocs[at - 1] != base_idocs[at - 1]
    idocs = [
        *base_idocs[: at - 1], delta_idocs[at - 1], *base_idocs[at:7],
        base_idocs[at - 1], *base_idocs[7:],
    ]  # fmt: skip
    mixed = delta.with_name("mixed.xml")
    mixed.write_bytes(head + b"".join(idocs) + tail)

    # when it is loaded, the second chunk read ahead before the first was written
    summary = load_file_now(materials_source, mixed)

    # then the second chunk was read again: the material is as loaded, as the last said
    assert summary.status == "succeeded" and read_before_the_commit[:1] == [1]
    assert bytes(Product.objects.get(number=number).content_hash) == loaded


def test_loads_with_and_without_read_ahead_leave_the_same_catalog(
    materials_source, listing_channel, matmas_file, monkeypatch
):
    base, _ = matmas_file("base.xml", 30, seed=1)
    delta, _ = matmas_file("delta.xml", 30, seed=2, base_seed=1, changed_fraction=0.2)
    with monkeypatch.context() as patch:
        patch.setattr(ReadAhead, "is_available", staticmethod(lambda: False))
        without = [load_file_now(materials_source, path) for path in (base, delta)]
    expected = catalog_digest()
    with connection.cursor() as cursor:  # the same files again, into an empty catalog
        cursor.execute(
            "DELETE FROM catalog_listing; DELETE FROM catalog_barcode; "
            "DELETE FROM catalog_productunit; DELETE FROM catalog_product; "
            "DELETE FROM mappings_historicalskumapping; DELETE FROM mappings_skumapping;"
        )
    source = CatalogSource.objects.create(
        partner=materials_source.partner, code="again", kind="MATMAS05", chunk_size=7
    )
    used = []
    real_take = ReadAhead.take

    def take(self, load, index, is_current):
        result = real_take(self, load, index, is_current)
        used.append(result is not None)
        return result

    monkeypatch.setattr(ReadAhead, "take", take)

    with_ahead = [load_file_now(source, path) for path in (base, delta)]

    assert catalog_digest() == expected
    assert [_counts(s) for s in with_ahead] == [_counts(s) for s in without]
    assert any(used)


def test_a_unit_mapping_added_after_the_read_ahead_reads_the_chunk_again(
    materials_source, matmas_file, channel
):
    # given a chunk read ahead, then a unit mapping added
    path, _ = matmas_file("base.xml", 20, seed=1)
    load = _stored_load(materials_source, path)
    from syncplatform.catalog.services.loads import DOCUMENTS

    reader, _writer, is_current = DOCUMENTS[materials_source.kind]
    with ReadAhead() as ahead:
        ahead.start(load, 1, reader)
        ahead.close()
        CodeMapping.objects.create(
            channel=channel, code_type="unit", channel_code="ZZB", erp_code="ZZB"
        )

        # when it is taken, then it is not used
        assert ahead.take(load, 1, is_current) is None
        ahead.start(load, 1, reader)
        assert ahead.take(load, 1, is_current) is not None


def test_a_failed_read_ahead_is_read_again_where_it_is_used(materials_source, matmas_file):
    path, _ = matmas_file("base.xml", 20, seed=1)
    load = _stored_load(materials_source, path)

    def broken(load, index):
        raise OSError("disk gone")

    with ReadAhead() as ahead:
        ahead.start(load, 1, broken)
        assert ahead.take(load, 1, lambda chunk, context: True) is None


def _stored_load(source, path):
    from django.db import transaction

    from syncplatform.catalog.services.files import store_path
    from syncplatform.catalog.services.loads import _record

    with transaction.atomic():
        return _record(source, store_path(path, chunk_size=source.chunk_size), "f", "t", False)


def _counts(summary):
    return (summary.status, summary.read, summary.added, summary.changed, summary.unchanged,
            summary.deleted, summary.refused, summary.listings_changed)  # fmt: skip
