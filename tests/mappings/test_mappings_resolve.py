"""resolve_order_mappings: every code of an order translated, or every gap named at once."""

import datetime

import pytest
from django.utils import timezone

from syncplatform.mappings.models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping
from syncplatform.mappings.services import (
    ErpLocation,
    ErpMaterial,
    MissingMappings,
    resolve_order_mappings,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def mapped(channel, warehouse):
    SkuMapping.objects.create(channel=channel, channel_sku="TSHIRT-BLK-M", erp_material="MAT-1")
    SkuMapping.objects.create(
        channel=channel, channel_sku="MUG", erp_material="MAT-2", erp_unit="PC"
    )
    LocationMapping.objects.create(
        channel=channel,
        channel_location="STORE-017",
        erp_plant="1000",
        erp_storage_location="0001",
        warehouse=warehouse,
    )
    CustomerMapping.objects.create(
        channel=channel, channel_customer_id="C-778", erp_sold_to="0000100778"
    )
    CodeMapping.objects.create(
        channel=channel, code_type="tax", channel_code="TX-APPAREL", erp_code="A1"
    )
    CodeMapping.objects.create(
        channel=channel, code_type="shipping_method", channel_code="GROUND", erp_code="01"
    )
    return channel


def resolve(channel, **changes):
    request = {
        "skus": {"TSHIRT-BLK-M", "MUG"},
        "location": "STORE-017",
        "customer_id": "C-778",
        "codes": {("tax", "TX-APPAREL"), ("shipping_method", "GROUND")},
        "on": TODAY,
    }
    request.update(changes)
    return resolve_order_mappings(channel, **request)


def test_given_all_mapped_then_materials_location_sold_to_and_codes(mapped, warehouse):
    found = resolve(mapped)

    assert found.materials == {
        "TSHIRT-BLK-M": ErpMaterial("MAT-1", "EA"),
        "MUG": ErpMaterial("MAT-2", "PC"),
    }
    assert found.location == ErpLocation("1000", "0001", warehouse.pk)
    assert found.sold_to == "0000100778"
    assert found.codes == {("tax", "TX-APPAREL"): "A1", ("shipping_method", "GROUND"): "01"}
    assert found.code("tax", "TX-APPAREL") == "A1"


def test_given_every_kind_missing_then_one_error_lists_every_gap(mapped):
    with pytest.raises(MissingMappings) as refused:
        resolve(
            mapped,
            skus={"TSHIRT-BLK-M", "ZZZ", "AAA"},
            location="STORE-999",
            customer_id="C-000",
            codes={("tax", "TX-APPAREL"), ("tax", "TX-FOOD"), ("carrier", "UPS")},
        )

    error = refused.value
    assert error.missing == [
        "sku AAA",
        "sku ZZZ",
        "location STORE-999",
        "customer C-000",
        "code carrier UPS",
        "code tax TX-FOOD",
    ]
    assert error.code == "mapping_missing"
    assert error.channel == mapped
    assert str(error) == (
        "missing mappings for channel demo-web: sku AAA, sku ZZZ, location STORE-999, "
        "customer C-000, code carrier UPS, code tax TX-FOOD"
    )


def test_given_code_mapped_under_another_type_then_it_is_still_missing(mapped):
    # "GROUND" is a shipping method here; as a carrier it has no mapping.
    with pytest.raises(MissingMappings) as refused:
        resolve(mapped, codes={("carrier", "GROUND")})
    assert refused.value.missing == ["code carrier GROUND"]


def test_given_mappings_of_another_channel_then_they_do_not_apply(mapped, other_channel):
    with pytest.raises(MissingMappings) as refused:
        resolve(other_channel)
    assert refused.value.missing == [
        "sku MUG",
        "sku TSHIRT-BLK-M",
        "location STORE-017",
        "customer C-778",
        "code shipping_method GROUND",
        "code tax TX-APPAREL",
    ]


def test_given_inactive_rows_then_they_are_ignored(mapped):
    SkuMapping.objects.filter(channel_sku="MUG").update(is_active=False)
    LocationMapping.objects.update(is_active=False)
    CustomerMapping.objects.update(is_active=False)
    CodeMapping.objects.filter(channel_code="GROUND").update(is_active=False)

    with pytest.raises(MissingMappings) as refused:
        resolve(mapped)

    assert refused.value.missing == [
        "sku MUG",
        "location STORE-017",
        "customer C-778",
        "code shipping_method GROUND",
    ]


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "applies"),
    [
        (TODAY, None, True),  # first day counts
        (None, TODAY, True),  # last day counts
        (TODAY - datetime.timedelta(days=3), TODAY + datetime.timedelta(days=3), True),
        (TODAY + datetime.timedelta(days=1), None, False),  # not yet
        (None, TODAY - datetime.timedelta(days=1), False),  # expired
    ],
)
def test_given_validity_window_then_mapping_applies_only_inside_it(
    mapped, valid_from, valid_to, applies
):
    SkuMapping.objects.filter(channel_sku="MUG").update(valid_from=valid_from, valid_to=valid_to)

    if applies:
        assert resolve(mapped).materials["MUG"] == ErpMaterial("MAT-2", "PC")
    else:
        with pytest.raises(MissingMappings) as refused:
            resolve(mapped)
        assert refused.value.missing == ["sku MUG"]


def test_given_expired_row_and_no_date_then_today_is_used(mapped):
    SkuMapping.objects.filter(channel_sku="MUG").update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(MissingMappings) as refused:
        resolve(mapped, on=None)
    assert refused.value.missing == ["sku MUG"]


def test_given_unmapped_customer_and_default_sold_to_then_the_default_is_used(mapped):
    found = resolve(mapped, customer_id="C-NEW", default_sold_to="0000999999")
    assert found.sold_to == "0000999999"


def test_given_mapped_customer_and_default_sold_to_then_the_mapping_wins(mapped):
    assert resolve(mapped, default_sold_to="0000999999").sold_to == "0000100778"


def test_given_no_codes_asked_then_none_are_needed(mapped):
    assert resolve(mapped, codes=set()).codes == {}
