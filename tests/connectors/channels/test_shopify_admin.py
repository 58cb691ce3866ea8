"""ShopifyAdminClient against the real sandbox shop over HTTP."""

import time

import pytest

from connectors.channels.shopify_admin import (
    PublishedVariant,
    QuantityDraft,
    RefusedVariant,
    ShopifyAdminClient,
    VariantDraft,
)
from connectors.errors import ConfigError, TransientError
from tests.connectors.sandbox_shop.shop_process import running_sandbox_shop


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory):
    with running_sandbox_shop(tmp_path_factory.mktemp("shop"), "--location", "WEB-DC") as shop:
        yield shop


@pytest.fixture
def shop(shop_server):
    shop_server.reset()
    return shop_server


class RecordingSleep:
    """Really sleeps (the shop's bucket refills in real time) and records every wait."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def client_for(shop, **options) -> ShopifyAdminClient:
    return ShopifyAdminClient(shop.url, shop.token, **options)


def drafts(count: int, prefix: str = "SKU") -> list[VariantDraft]:
    return [
        VariantDraft(str(n), f"Article {n}", f"{prefix}-{n:04d}", "4006381333931", "9.99")
        for n in range(count)
    ]


def test_create_products_returns_shopify_ids_for_each_draft(shop):
    # when
    results = client_for(shop, mutations_per_request=4).create_products(drafts(10))

    # then
    assert [r.key for r in results] == [str(n) for n in range(10)]
    assert all(isinstance(r, PublishedVariant) for r in results)
    by_sku = {v["sku"]: v for v in shop.variants()}
    for result in results:
        stored = by_sku[result.sku]
        assert result.variant_id == f"gid://shopify/ProductVariant/{stored['id']}"
        assert (
            result.inventory_item_id == f"gid://shopify/InventoryItem/{stored['inventory_item_id']}"
        )
    assert shop.stats()["mutation.productSet"] == 10


def test_a_user_error_fails_only_its_draft_naming_the_field(shop):
    # given
    shop.configure(fail_skus=["SKU-0002"])

    # when
    results = client_for(shop).create_products(drafts(4))

    # then
    refused = [r for r in results if isinstance(r, RefusedVariant)]
    assert [(r.key, r.field, r.code) for r in refused] == [("2", "barcode", "INVALID_VARIANT")]
    assert refused[0].path == "input.variants.0.barcode"
    assert "SKU-0002" in refused[0].message
    assert sorted(v["sku"] for v in shop.variants()) == ["SKU-0000", "SKU-0001", "SKU-0003"]


def test_update_variants_sets_price_barcode_and_sku(shop):
    # given
    client = client_for(shop)
    (created,) = client.create_products(drafts(1))
    change = VariantDraft(
        "0",
        "Article 0",
        "SKU-NEW",
        "5012345678900",
        "12.50",
        created.product_id,
        created.variant_id,
    )

    # when
    (result,) = client.update_variants([change])

    # then
    assert isinstance(result, PublishedVariant)
    (stored,) = shop.variants()
    assert (stored["sku"], stored["barcode"], stored["price"]) == (
        "SKU-NEW",
        "5012345678900",
        "12.50",
    )


def test_set_available_sends_the_good_quantities_again_without_the_refused_one(shop):
    # given
    client = client_for(shop)
    created = client.create_products(drafts(3))
    location = client.location_ids()["WEB-DC"]
    quantities = [
        QuantityDraft(c.key, c.inventory_item_id, location, 5 + n) for n, c in enumerate(created)
    ]
    quantities.insert(1, QuantityDraft("ghost", "gid://shopify/InventoryItem/7", location, 1))

    # when
    refused = client.set_available(quantities, reference_uri="gid://syncplatform/Availability/1")

    # then
    assert [(r.key, r.field, r.code) for r in refused] == [
        ("ghost", "inventoryItemId", "INVALID_INVENTORY_ITEM")
    ]
    available = {v["sku"]: v["quantities"]["WEB-DC"]["available"] for v in shop.variants()}
    assert available == {"SKU-0000": 5, "SKU-0001": 6, "SKU-0002": 7}


def test_find_variants_by_sku(shop):
    # given
    created = client_for(shop).create_products(drafts(3))

    # when
    found = client_for(shop).find_variants(["SKU-0001", "SKU-0002", "SKU-9999"])

    # then
    assert set(found) == {"SKU-0001", "SKU-0002"}
    assert found["SKU-0001"].variant_id == created[1].variant_id
    assert found["SKU-0002"].inventory_item_id == created[2].inventory_item_id


def test_the_client_waits_for_the_bucket_instead_of_being_throttled(shop):
    # given: a bucket of 60 points refilling 200 a second; requests of 5 creates cost 50
    shop.configure(throttle={"maximum": 60.0, "restore_rate": 200.0})
    sleep = RecordingSleep()

    # when
    results = client_for(shop, mutations_per_request=5, sleep=sleep).create_products(drafts(30))

    # then: it waited before the bucket ran dry, so the shop never refused a call
    assert all(isinstance(r, PublishedVariant) for r in results)
    assert shop.stats().get("throttled", 0) == 0
    assert len(sleep.waits) >= 4
    assert all(0 < wait <= 50 / 200 for wait in sleep.waits)


def test_a_throttled_answer_is_waited_out_and_sent_again(shop):
    # given: the bucket is nearly empty when the client first calls (it knows nothing yet)
    shop.configure(throttle={"maximum": 20.0, "restore_rate": 100.0})
    shop.graphql('mutation { a: productSet(input: {title: "x"}) { userErrors { code } } }')
    sleep = RecordingSleep()

    # when
    results = client_for(shop, sleep=sleep).create_products(drafts(2))

    # then
    assert all(isinstance(r, PublishedVariant) for r in results)
    assert shop.stats()["throttled"] == 1
    assert sleep.waits and sleep.waits[0] == pytest.approx(0.1, abs=0.05)
    assert sorted(v["sku"] for v in shop.variants() if v["sku"]) == ["SKU-0000", "SKU-0001"]


def test_a_lost_create_answer_is_not_sent_again(shop):
    # given
    shop.configure(lose_answer_rate=1.0)

    # when
    with pytest.raises(TransientError) as raised:
        client_for(shop, sleep=lambda s: None).create_products(drafts(2))

    # then: the shop did it once; the caller is told to look before creating again
    assert raised.value.may_have_reached_partner
    assert shop.stats()["mutation.productSet"] == 2
    assert shop.records()["created_by_sku"] == {"SKU-0000": 1, "SKU-0001": 1}


def test_idempotent_updates_are_retried_through_5xx(shop):
    # given
    client = client_for(shop, sleep=lambda s: None)
    (created,) = client.create_products(drafts(1))
    shop.configure(lose_answer_rate=1.0)
    change = VariantDraft("0", "x", "SKU-0000", "", "3.00", created.product_id, created.variant_id)

    # when
    with pytest.raises(TransientError) as raised:
        client.update_variants([change])

    # then
    assert raised.value.code == "shopify_unavailable"
    assert shop.stats()["mutation.productVariantsBulkUpdate"] == client.max_attempts
    assert shop.variants()[0]["price"] == "3.00"


def test_a_wrong_token_or_version_is_a_config_error(shop):
    with pytest.raises(ConfigError) as token:
        ShopifyAdminClient(shop.url, "wrong").location_ids()
    with pytest.raises(ConfigError) as version:
        ShopifyAdminClient(shop.url, shop.token, api_version="2026-02").location_ids()

    assert token.value.code == "shopify_token"
    assert "wrong" not in str(token.value)
    assert version.value.code == "shopify_url"
