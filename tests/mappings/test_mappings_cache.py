"""The process's mapping cache: served from memory while the stamp holds, fresh after any change.

The stamp is written by database triggers in the same transaction as the change,
so every path that changes a mapping is covered: model save (the admin), queryset
update and delete, bulk insert (catalog loads) and ``import_mappings``.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.mappings.models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping
from syncplatform.mappings.services import (
    ErpMaterial,
    MissingMappings,
    current_stamp,
    resolve_order_mappings,
    stamp_expression,
)
from syncplatform.partners.models import Partner

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def mapped(channel):
    SkuMapping.objects.create(channel=channel, channel_sku="MUG", erp_material="MAT-2")
    LocationMapping.objects.create(channel=channel, channel_location="STORE-017", erp_plant="1000")
    CustomerMapping.objects.create(channel=channel, channel_customer_id="C-1", erp_sold_to="100")
    CodeMapping.objects.create(channel=channel, code_type="tax", channel_code="T1", erp_code="A1")
    return channel


def resolve(channel, skus=frozenset({"MUG"}), on=TODAY, **options):
    return resolve_order_mappings(
        channel,
        skus=set(skus),
        location="STORE-017",
        customer_id="C-1",
        codes={("tax", "T1")},
        on=on,
        **options,
    )


def stamp_read_with(partner: Partner):
    """The mapping stamp as a query of the caller's own rows reads it (the order posting's)."""
    return Partner.objects.annotate(stamp=stamp_expression()).get(pk=partner.pk).stamp


def test_given_nothing_changed_then_the_second_order_reads_only_the_stamp(mapped):
    resolve(mapped)

    with CaptureQueriesContext(connection) as queries:
        found = resolve(mapped)

    assert found.materials["MUG"] == ErpMaterial("MAT-2", "EA")
    assert len(queries) == 1
    assert "mappings_mappingstamp" in queries[0]["sql"]


def test_given_the_stamp_read_with_the_callers_rows_then_an_unchanged_one_reads_nothing(mapped):
    resolve(mapped)
    stamp = stamp_read_with(mapped)
    assert stamp == current_stamp()

    with CaptureQueriesContext(connection) as queries:
        found = resolve(mapped, stamp=stamp)

    assert found.materials["MUG"] == ErpMaterial("MAT-2", "EA")
    assert queries.captured_queries == []

    # a mapping saved after: the stamp read with the next order's rows is new
    SkuMapping.objects.filter(channel_sku="MUG").update(erp_material="MAT-9")
    new_stamp = stamp_read_with(mapped)
    assert new_stamp != stamp
    assert resolve(mapped, stamp=new_stamp).materials["MUG"] == ErpMaterial("MAT-9", "EA")


def test_given_a_new_sku_then_only_it_is_read(mapped):
    resolve(mapped)
    SkuMapping.objects.create(channel=mapped, channel_sku="CAP", erp_material="MAT-3")

    found = resolve(mapped, skus={"MUG", "CAP"})

    assert found.materials["CAP"] == ErpMaterial("MAT-3", "EA")


def test_given_a_mapping_saved_as_the_admin_does_then_the_next_order_sees_it(mapped):
    resolve(mapped)
    stamp = current_stamp()
    mapping = SkuMapping.objects.get(channel_sku="MUG")
    mapping.erp_material = "MAT-9"
    mapping.save()

    assert current_stamp() != stamp
    assert resolve(mapped).materials["MUG"].material == "MAT-9"


def test_given_a_queryset_update_then_the_next_order_sees_it(mapped):
    resolve(mapped)
    CodeMapping.objects.filter(channel_code="T1").update(erp_code="B2")

    assert resolve(mapped).code("tax", "T1") == "B2"


def test_given_a_mapping_deleted_then_the_next_order_misses_it(mapped):
    resolve(mapped)
    LocationMapping.objects.filter(channel_location="STORE-017").delete()

    with pytest.raises(MissingMappings) as refused:
        resolve(mapped)
    assert refused.value.missing == ["location STORE-017"]


def test_given_a_missing_mapping_added_by_bulk_insert_then_the_next_order_finds_it(mapped):
    with pytest.raises(MissingMappings):
        resolve(mapped, skus={"MUG", "BAG"})  # "no BAG" is now held in memory too
    SkuMapping.objects.bulk_create(
        [SkuMapping(channel=mapped, channel_sku="BAG", erp_material="MAT-4")]
    )

    assert resolve(mapped, skus={"MUG", "BAG"}).materials["BAG"].material == "MAT-4"


def test_given_import_mappings_changes_a_row_then_the_next_order_sees_it(mapped):
    resolve(mapped)

    report = import_mappings(
        "customer", "channel,channel_customer_id,erp_sold_to\ndemo-web,C-1,200\n"
    )

    assert report.changed == 1
    assert resolve(mapped).sold_to == "200"


def test_given_another_day_then_validity_is_read_again(mapped):
    SkuMapping.objects.filter(channel_sku="MUG").update(valid_to=TODAY)
    assert resolve(mapped).materials["MUG"].material == "MAT-2"

    with pytest.raises(MissingMappings) as refused:
        resolve(mapped, on=TODAY + datetime.timedelta(days=1))
    assert refused.value.missing == ["sku MUG"]
