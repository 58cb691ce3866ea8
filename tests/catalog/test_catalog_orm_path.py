"""The embedded default's ORM path (SQLite) takes the same decisions as PostgreSQL's set-based one.

Run here on PostgreSQL with the ORM writers swapped in, and compared table by
table (listing digests included) with the same loads through COPY and upsert.
"""

import pytest
from django.db import connection

from connectors.idoc.catalog_files import BadRow
from syncplatform.catalog.models import CatalogSource
from syncplatform.catalog.services import materials, prices
from syncplatform.catalog.services.loads import load_file_now
from tests.catalog.catalog_state import catalog_digest

pytestmark = pytest.mark.django_db(transaction=True)


def _load_everything(source_m, source_p, matmas_file, conda04_file, tag: str):
    summaries = [
        load_file_now(
            source_m, matmas_file(f"{tag}-base.xml", 25, bad_rows={4: BadRow.UNKNOWN_UNIT})[0]
        ),
        load_file_now(source_p, conda04_file(f"{tag}-prices.xml", 25)[0]),
        load_file_now(
            source_m,
            matmas_file(f"{tag}-delta.xml", 25, seed=2, base_seed=1, changed_fraction=0.2)[0],
        ),
    ]
    return [
        (s.read, s.added, s.changed, s.unchanged, s.deleted, s.refused, s.listings_changed)
        for s in summaries
    ]


def test_the_orm_path_ends_with_the_same_catalog_and_counts(
    materials_source, prices_source, listing_channel, matmas_file, conda04_file, monkeypatch
):
    # given the catalog PostgreSQL's set-based path makes
    expected_counts = _load_everything(
        materials_source, prices_source, matmas_file, conda04_file, "pg"
    )
    expected = catalog_digest()
    _wipe()

    # when the ORM writers load the same files (into second sources: not duplicates)
    monkeypatch.setattr(materials, "_write_postgresql", materials._write_orm)
    monkeypatch.setattr(prices, "_write_postgresql", prices._write_orm)
    erp = materials_source.partner
    orm_m = CatalogSource.objects.create(partner=erp, code="orm-m", kind="MATMAS05", chunk_size=7)
    orm_p = CatalogSource.objects.create(partner=erp, code="orm-p", kind="COND_A04", chunk_size=7)
    counts = _load_everything(orm_m, orm_p, matmas_file, conda04_file, "orm")

    # then
    assert counts == expected_counts
    assert catalog_digest() == expected


def _wipe():
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalog_listing; DELETE FROM catalog_barcode; DELETE FROM catalog_price; "
            "DELETE FROM catalog_productunit; DELETE FROM catalog_product; "
            "DELETE FROM mappings_historicalskumapping; DELETE FROM mappings_skumapping;"
        )
