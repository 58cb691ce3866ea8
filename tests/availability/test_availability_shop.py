"""Publication to the sandbox shop over real HTTP: only changes are sent; refusals are named."""

import pytest

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.availability.models import Availability
from syncplatform.availability.services import refresh_availability
from syncplatform.catalog.services.publication import start_publication
from syncplatform.fulfillment.services import receive_file
from syncplatform.mappings.models import LocationMapping
from tests.availability.conftest import figures
from tests.catalog.publication_fixtures import (
    make_listing,
    run_publication_chunks,
    shop_channel_config,
)
from tests.connectors.sandbox_shop.shop_process import shop_server  # noqa: F401 - fixture
from tests.fulfillment.fulfillment_files import file_846


@pytest.fixture
def shop(shop_server, channel, erp, mappings):  # noqa: F811 - the imported fixture
    """The sandbox shop, empty, with demo-web's T-shirt published in it (no stock yet)."""
    shop_server.reset()
    shop_channel_config(channel, erp, shop_server)
    make_listing(channel, "MAT-100200", sku="TSHIRT-BLK-M")
    assert start_publication(channel.pk) is not None
    run_publication_chunks()
    return shop_server


def in_shop(shop, location: str) -> int | None:
    (variant,) = shop.variants()
    return variant["quantities"].get(location, {}).get("available")


def stock_calls(shop) -> int:
    return shop.stats().get("mutation.inventorySetQuantities", 0)


def report(config, number: int, items) -> None:
    receive_file(config, f"846_{number}.edi", file_846(number, "20261123", items))


def test_an_846_sets_the_shops_stock_and_an_unchanged_one_sends_nothing(config, shop, settle):
    settle(report, config, 801, [("MAT-100200", "10", "10")])

    assert (in_shop(shop, "STORE-017"), in_shop(shop, "WEB-DC")) == (10, 10)
    assert figures("TSHIRT-BLK-M")["published"] == 10
    calls = stock_calls(shop)

    settle(report, config, 802, [("MAT-100200", "10", "10")])
    assert stock_calls(shop) == calls

    settle(report, config, 803, [("MAT-100200", "8", "8")])
    assert (in_shop(shop, "STORE-017"), in_shop(shop, "WEB-DC")) == (8, 8)
    assert stock_calls(shop) == calls + 1  # both locations in one call


def test_a_sku_not_in_the_shop_waits_with_its_reason_and_is_sent_after_the_refresh(
    config, shop, settle, channel
):
    settle(report, config, 801, [("MAT-100200", "10", "10"), ("MAT-300500", "4", "4")])

    socks = Availability.objects.get(channel_sku="SOCKS-3PK", channel_location="STORE-017")
    assert (socks.is_publish_pending, socks.publish_error) == (
        True,
        "not in the shop yet (publish its listing first)",
    )
    [tx] = SyncTransaction.objects.filter(kind="availability.publish")
    assert tx.state == "succeeded"  # expected until the catalog publishes the listing

    # when the listing is published and the refresh runs
    make_listing(channel, "MAT-300500", sku="SOCKS-3PK", ean="4006381333948")
    start_publication(channel.pk)
    run_publication_chunks()
    settle(refresh_availability)

    socks.refresh_from_db()
    assert (socks.published_quantity, socks.is_publish_pending, socks.publish_error) == (
        4,
        False,
        "",
    )


def test_a_refused_location_fails_the_publication_naming_it_and_the_rest_is_kept(
    config, shop, settle, channel, warehouse, django_capture_on_commit_callbacks
):
    LocationMapping.objects.create(
        channel=channel, channel_location="POPUP-9", erp_plant="1000", warehouse=warehouse
    )

    with pytest.raises(AssertionError, match="POPUP-9"):
        settle(report, config, 801, [("MAT-100200", "10", "10")])

    tx = SyncTransaction.objects.get(kind="availability.publish")
    assert (tx.state, tx.last_error_code) == ("failed", "stock_refused")
    assert "TSHIRT-BLK-M at POPUP-9: locationId: the shop has no location named POPUP-9" in (
        tx.last_error_message
    )
    assert (in_shop(shop, "STORE-017"), in_shop(shop, "WEB-DC")) == (10, 10)
    popup = Availability.objects.get(channel_location="POPUP-9")
    assert popup.is_publish_pending and popup.publish_error.startswith("locationId")

    # Retry now sends the refused row again (and it is refused again, still named)
    with django_capture_on_commit_callbacks(execute=True):
        replay_transaction(tx.pk, actor=None, reason="shop location added?")
    again = run_transaction(tx.pk)
    assert (again.state, again.last_error_code) == ("failed", "stock_refused")
    assert "POPUP-9" in again.last_error_message
