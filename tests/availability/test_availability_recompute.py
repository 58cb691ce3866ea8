"""Recompute on PostgreSQL: an 846, an order, a shipment and safety stock each change the figures.

846s and 945s go through fulfilment's inbound path (``receive_file``), orders
through the intake service; the receivers queue recompute transactions on
commit, which the tests run. A recording publisher stands for the shop.
"""

import dataclasses
from datetime import date

import pytest

from connectors.errors import TransientError
from syncplatform.audit.registry import Lane, kind
from syncplatform.availability.models import Availability, RecomputeChunk, SafetyStock
from syncplatform.availability.services import publication, save_safety_stock, scheduling
from syncplatform.fulfillment.services import receive_file
from tests.availability.conftest import figures, recompute_transactions
from tests.fulfillment.fulfillment_files import file_846, file_945, order_line, shipping_advice


@pytest.fixture
def shop(monkeypatch):
    """The channel's stock as a recording publisher was sent it: ``{(sku, location): qty}``."""

    class Shop(dict):
        calls: list

    sent = Shop()
    sent.calls = []

    def publish(channel, quantities):
        sent.calls.append(list(quantities))
        for q in quantities:
            sent[(q.channel_sku, q.channel_location)] = q.quantity

    monkeypatch.setattr(publication, "publisher_for", lambda channel: publish)
    return sent


def report(config, number: int, reported_on: str, items) -> None:
    receive_file(config, f"846_{number}.edi", file_846(number, reported_on, items))


def ship(config, order, number: int, shipped_on: date, shipped=None) -> None:
    advice = dataclasses.replace(shipping_advice(order, shipped=shipped), shipped_on=shipped_on)
    receive_file(config, f"945_{number}.edi", file_945([advice], number))


def test_an_846_an_order_and_a_shipment_each_change_the_stored_and_published_stock(
    config, sent_orders, settle, shop
):
    # given the warehouse reports 10 T-shirts on hand on 23 November
    settle(report, config, 801, "20261123", [("MAT-100200", "9", "10")])

    # then both locations demo-3pl serves have 10 (on hand, not QTY 33), and the shop got them
    assert figures("TSHIRT-BLK-M")["available"] == 10
    assert figures("TSHIRT-BLK-M", "WEB-DC")["available"] == 10
    assert not Availability.objects.filter(channel_location="STORE-099").exists()
    assert shop == {("TSHIRT-BLK-M", "STORE-017"): 10, ("TSHIRT-BLK-M", "WEB-DC"): 10}

    # when an order for 3 arrives at STORE-017 (and is sent to the warehouse)
    [order] = settle(sent_orders, "WEB-1", lines=[order_line(1, "TSHIRT-BLK-M", 3)])

    # then STORE-017 has 7, WEB-DC still 10; only the change is published
    assert figures("TSHIRT-BLK-M") | {"pending": None} == {
        "stock": 10,
        "open": 3,
        "shipped_since": 0,
        "safety": 0,
        "available": 7,
        "published": 7,
        "pending": None,
    }
    assert figures("TSHIRT-BLK-M", "WEB-DC")["available"] == 10
    assert shop.calls[-1] == [publication.InventoryQuantity("TSHIRT-BLK-M", "STORE-017", 7)]

    # when the warehouse ships it on 24 November, after its report
    calls = len(shop.calls)
    settle(ship, config, order, 901, date(2026, 11, 24))

    # then the order no longer holds stock, but the report still counts the shipped 3: 7 stays
    assert figures("TSHIRT-BLK-M") == {
        "stock": 10,
        "open": 0,
        "shipped_since": 3,
        "safety": 0,
        "available": 7,
        "published": 7,
        "pending": False,
    }
    assert len(shop.calls) == calls  # nothing changed, nothing sent

    # when the next report (25 November) says 7, and a second order of 2 comes
    settle(report, config, 802, "20261125", [("MAT-100200", "7", "7")])
    assert figures("TSHIRT-BLK-M")["shipped_since"] == 0
    assert figures("TSHIRT-BLK-M")["available"] == 7
    [second] = settle(sent_orders, "WEB-2", lines=[order_line(1, "TSHIRT-BLK-M", 2)])
    assert shop[("TSHIRT-BLK-M", "STORE-017")] == 5

    # when the warehouse ships it on the 26th and reports 5 on the 27th before its 945 arrives
    settle(report, config, 803, "20261127", [("MAT-100200", "5", "5")])
    assert shop[("TSHIRT-BLK-M", "STORE-017")] == 3  # the order still looks open: under-promise

    # then the late 945 (shipped before the report) frees what the report already took off
    settle(ship, config, second, 902, date(2026, 11, 26))
    assert figures("TSHIRT-BLK-M")["available"] == 5
    assert shop[("TSHIRT-BLK-M", "STORE-017")] == 5
    assert shop[("TSHIRT-BLK-M", "WEB-DC")] == 5


def test_a_short_shipment_keeps_the_rest_of_the_line_open(config, sent_orders, settle, shop):
    settle(report, config, 801, "20261123", [("MAT-100200", "10", "10")])
    [order] = settle(sent_orders, "WEB-1", lines=[order_line(1, "TSHIRT-BLK-M", 3)])

    settle(ship, config, order, 901, date(2026, 11, 24), shipped={1: 2})

    assert figures("TSHIRT-BLK-M") | {"published": None, "pending": None} == {
        "stock": 10,
        "open": 1,
        "shipped_since": 2,
        "safety": 0,
        "available": 7,
        "published": None,
        "pending": None,
    }


def test_an_order_at_a_location_no_warehouse_serves_stores_nothing(
    config, posted_order, settle, shop
):
    settle(report, config, 801, "20261123", [("MAT-100200", "10", "10")])

    settle(posted_order, "WEB-1", location="POPUP-1", lines=[order_line(1, "TSHIRT-BLK-M", 3)])

    assert not Availability.objects.filter(channel_location="POPUP-1").exists()
    assert figures("TSHIRT-BLK-M")["available"] == 10


def test_a_sku_never_reported_is_zero_and_an_oversold_one_is_floored_at_zero(
    config, posted_order, settle, shop
):
    # an order for a SKU the warehouse never reported
    settle(posted_order, "WEB-1", lines=[order_line(1, "HOODIE-GRY-M", 1)])
    assert figures("HOODIE-GRY-M") | {"published": None, "pending": None} == {
        "stock": None,
        "open": 1,
        "shipped_since": 0,
        "safety": 0,
        "available": 0,
        "published": None,
        "pending": None,
    }
    assert shop[("HOODIE-GRY-M", "STORE-017")] == 0

    # reported 2 while 5 are ordered: 0, not -3
    settle(posted_order, "WEB-2", lines=[order_line(1, "HOODIE-GRY-M", 4)])
    settle(report, config, 801, "20261123", [("MAT-100310", "2", "2")])
    assert figures("HOODIE-GRY-M")["open"] == 5
    assert figures("HOODIE-GRY-M")["available"] == 0


def test_safety_stock_per_location_and_per_sku(config, settle, shop, channel):
    settle(report, config, 801, "20261123", [("MAT-100200", "10", "10"), ("MAT-300500", "8", "8")])

    # a location-wide safety stock of 2 at STORE-017
    location_wide = SafetyStock(channel=channel, channel_location="STORE-017", quantity=2)
    settle(save_safety_stock, location_wide)
    assert figures("TSHIRT-BLK-M")["available"] == 8
    assert figures("SOCKS-3PK")["available"] == 6
    assert figures("TSHIRT-BLK-M", "WEB-DC")["available"] == 10

    # a SKU's own safety stock replaces the location's for that SKU
    settle(
        save_safety_stock,
        SafetyStock(
            channel=channel, channel_location="STORE-017", channel_sku="SOCKS-3PK", quantity=5
        ),
    )
    assert figures("SOCKS-3PK") | {"published": None, "pending": None} == {
        "stock": 8,
        "open": 0,
        "shipped_since": 0,
        "safety": 5,
        "available": 3,
        "published": None,
        "pending": None,
    }
    assert figures("TSHIRT-BLK-M")["available"] == 8
    assert shop[("SOCKS-3PK", "STORE-017")] == 3


def test_a_large_846_is_recomputed_in_chunks_each_its_own_batch_transaction(
    config, channel, settle, shop, monkeypatch
):
    from syncplatform.mappings.models import SkuMapping

    monkeypatch.setattr(scheduling, "RECOMPUTE_CHUNK", 2)
    SkuMapping.objects.bulk_create(
        SkuMapping(channel=channel, channel_sku=f"BULK-{n}", erp_material=f"MAT-9000{n}")
        for n in range(5)
    )

    settle(report, config, 801, "20261123", [(f"MAT-9000{n}", "1", str(n)) for n in range(5)])

    txs = recompute_transactions()
    assert [tx.state for tx in txs] == ["succeeded"] * 3
    chunks = RecomputeChunk.objects.order_by("pk")
    assert [c.materials for c in chunks] == [
        ["MAT-90000", "MAT-90001"],
        ["MAT-90002", "MAT-90003"],
        ["MAT-90004"],
    ]
    assert kind("availability.recompute").lane == Lane.BATCH
    assert txs[0].business_key == "demo-3pl 2 material(s) (MAT-90000 … MAT-90001) (1 of 3)"
    available = dict(
        Availability.objects.filter(channel_location="STORE-017").values_list(
            "channel_sku", "available"
        )
    )
    assert available == {f"BULK-{n}": n for n in range(5)}


def test_a_rerun_changes_nothing_and_publishes_nothing(config, settle, shop):
    from syncplatform.availability.services import recompute_chunk

    settle(report, config, 801, "20261123", [("MAT-100200", "10", "10")])
    calls = len(shop.calls)
    before = list(Availability.objects.order_by("pk").values())

    chunk = RecomputeChunk.objects.get()
    assert recompute_chunk(chunk) == (0, 0)
    assert list(Availability.objects.order_by("pk").values()) == before
    assert len(shop.calls) == calls


def test_what_would_be_published_waits_in_the_queue_while_no_publisher_exists(
    config, settle, channel, monkeypatch, published
):
    monkeypatch.setattr(publication, "publisher_for", lambda channel: None)

    settle(report, config, 801, "20261123", [("MAT-100200", "10", "10")])

    queue = Availability.objects.publish_queue(channel.pk)
    assert [(r.channel_sku, r.channel_location, r.available) for r in queue] == [
        ("TSHIRT-BLK-M", "STORE-017", 10),
        ("TSHIRT-BLK-M", "WEB-DC", 10),
    ]
    # when a publication records what it sent, the queue empties; an equal recompute keeps it so
    publication.record_published(list(queue))
    assert not Availability.objects.publish_queue(channel.pk).exists()
    settle(report, config, 802, "20261124", [("MAT-100200", "10", "10")])
    assert not Availability.objects.publish_queue(channel.pk).exists()
    settle(report, config, 803, "20261125", [("MAT-100200", "12", "12")])
    assert Availability.objects.publish_queue(channel.pk).count() == 2


def test_a_shop_outage_retries_the_publication_and_keeps_the_queue(
    config, channel, django_capture_on_commit_callbacks, run_published, monkeypatch, published
):
    from syncplatform.audit.models import SyncTransaction
    from syncplatform.audit.runner import run_transaction

    def down(channel, quantities):
        raise TransientError("shop: 503 Service Unavailable")

    monkeypatch.setattr(publication, "publisher_for", lambda channel: down)
    with django_capture_on_commit_callbacks(execute=True):
        report(config, 801, "20261123", [("MAT-100200", "10", "10")])
    with django_capture_on_commit_callbacks(execute=True):
        run_published()  # the 846 and the recompute
    publish_tx = SyncTransaction.objects.get(kind="availability.publish")
    tx = run_transaction(publish_tx.pk)

    assert (tx.state, tx.last_error_code) == ("retrying", "transient")
    assert "503" in tx.last_error_message
    assert Availability.objects.publish_queue(channel.pk).count() == 2


def test_a_figure_recomputed_while_the_old_one_was_being_sent_is_sent_again(
    config, settle, channel, shop
):
    from syncplatform.audit.models import SyncTransaction

    settle(report, config, 801, "20261123", [("MAT-100200", "10", "10")])
    settle(report, config, 802, "20261124", [("MAT-100200", "7", "7")])
    # given a publication read the row at 7 ...
    on_the_way = list(Availability.objects.filter(channel_location="STORE-017"))
    # ... while a recompute (back to the 10 last published) found nothing to send
    Availability.objects.filter(channel_location="STORE-017").update(
        available=10, is_publish_pending=False
    )
    SyncTransaction.objects.filter(kind="availability.publish").update(state="succeeded")

    # when the publication records that the shop took 7
    still = publication.record_published(on_the_way)

    # then the row is queued again (the shop shows 7, we hold 10) and a publication is queued
    assert still == 1
    row = Availability.objects.get(channel_location="STORE-017")
    assert (row.available, row.published_quantity, row.is_publish_pending) == (10, 7, True)
    assert SyncTransaction.objects.filter(kind="availability.publish", state="received").exists()
