"""Publication of changed listings to the sandbox shop (real HTTP) from PostgreSQL."""

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.catalog.choices import PublishState
from syncplatform.catalog.models import Listing, ListingPublication, PublicationRun
from syncplatform.catalog.services import publication
from syncplatform.catalog.services.publication import (
    CATALOG_PUBLISH,
    CATALOG_PUBLISH_LISTING,
    start_publication,
)
from tests.catalog.publication_fixtures import (
    change_listing,
    make_listing,
    run_publication_chunks,
)


def publish_all(channel) -> PublicationRun:
    run = start_publication(channel.pk)
    assert run is not None
    run_publication_chunks()
    run.refresh_from_db()
    return run


def test_publication_creates_the_pending_listings_and_records_their_shop_ids(
    channel, config, shop, settings
):
    # given: 7 pending listings, chunks of 3
    settings.SYNC_CATALOG_PUBLISH_CHUNK = 3
    listings = [make_listing(channel, f"MAT-{n}") for n in range(7)]

    # when
    run = publish_all(channel)

    # then
    assert (run.status, run.total, run.done, run.created_count, run.chunks_done) == (
        "succeeded",
        7,
        7,
        7,
        3,
    )
    in_shop = {v["sku"]: v for v in shop.variants()}
    for listing in listings:
        listing.refresh_from_db()
        row = ListingPublication.objects.get(pk=listing.pk)
        assert listing.publish_state == PublishState.PUBLISHED
        assert bytes(row.published_hash) == bytes(listing.content_hash)
        stored = in_shop[listing.channel_sku]
        assert row.variant_gid == f"gid://shopify/ProductVariant/{stored['id']}"
        assert (
            row.inventory_item_gid == f"gid://shopify/InventoryItem/{stored['inventory_item_id']}"
        )
        assert (stored["price"], stored["barcode"]) == ("19.99", "4006381333931")
        assert row.sending_at is None
    assert SyncTransaction.objects.filter(kind=CATALOG_PUBLISH, state="succeeded").count() == 3


def test_a_delta_sends_only_the_changed_listings(channel, config, shop):
    # given: three listings published
    _first, second, _third = (make_listing(channel, f"MAT-{n}") for n in range(3))
    publish_all(channel)

    # when: one price changes and one material is new
    change_listing(second, price="24.50")
    make_listing(channel, "MAT-NEW")
    run = publish_all(channel)

    # then
    assert (run.total, run.created_count, run.updated_count) == (2, 1, 1)
    stats = shop.stats()
    assert stats["mutation.productSet"] == 4
    assert stats["mutation.productVariantsBulkUpdate"] == 1
    assert {v["sku"]: v["price"] for v in shop.variants()}["MAT-1"] == "24.50"
    assert start_publication(channel.pk) is None  # nothing pending: no run


def test_a_refused_listing_fails_alone_naming_the_field_and_retry_now_publishes_it(
    channel, config, shop, admin_user
):
    # given
    shop.configure(fail_skus=["MAT-1"])
    listings = [make_listing(channel, f"MAT-{n}") for n in range(3)]

    # when
    run = publish_all(channel)

    # then: the others are published, the refused one is failed and visible
    assert (run.status, run.created_count, run.refused_count) == ("succeeded", 2, 1)
    states = dict(Listing.objects.values_list("channel_sku", "publish_state"))
    assert states == {"MAT-0": "published", "MAT-1": "failed", "MAT-2": "published"}
    row = ListingPublication.objects.get(pk=listings[1].pk)
    assert (row.error_field, row.error_code) == ("barcode", "INVALID_VARIANT")
    failed = SyncTransaction.objects.get(kind=CATALOG_PUBLISH_LISTING)
    assert failed.state == "failed"
    assert failed.subject_id == listings[1].pk
    assert "barcode" in failed.last_error_message
    assert sorted(v["sku"] for v in shop.variants()) == ["MAT-0", "MAT-2"]

    # when: the shop takes it again and an operator retries
    shop.configure(fail_skus=[])
    replay_transaction(failed.pk, actor=admin_user, reason="barcode fixed")
    run_publication_chunks(CATALOG_PUBLISH_LISTING)

    # then
    failed.refresh_from_db()
    assert failed.state == "succeeded"
    assert Listing.objects.get(pk=listings[1].pk).publish_state == "published"
    assert shop.records()["created_by_sku"] == {"MAT-0": 1, "MAT-1": 1, "MAT-2": 1}


def test_a_lost_create_answer_is_found_by_sku_and_not_created_twice(channel, config, shop):
    # given: the shop creates the products but its answer never arrives
    listings = [make_listing(channel, f"MAT-{n}") for n in range(3)]
    shop.configure(lose_answer_rate=1.0)
    run = start_publication(channel.pk)
    tx = SyncTransaction.objects.get(kind=CATALOG_PUBLISH)

    attempt = run_transaction(tx.pk)
    assert attempt.state == "retrying"
    assert all(
        ListingPublication.objects.get(pk=listing.pk).sending_at is not None for listing in listings
    )

    # when: the shop answers again and the chunk is retried
    shop.configure(lose_answer_rate=0.0)
    run_publication_chunks()

    # then
    run.refresh_from_db()
    assert (run.status, run.recovered_count, run.created_count) == ("succeeded", 3, 0)
    assert shop.records()["created_by_sku"] == {"MAT-0": 1, "MAT-1": 1, "MAT-2": 1}
    assert shop.stats()["created_more_than_once"] == {}
    for listing in listings:
        row = ListingPublication.objects.get(pk=listing.pk)
        assert row.variant_gid and row.sending_at is None


def test_a_crash_between_sent_and_recorded_resumes_without_a_duplicate(
    channel, config, shop, monkeypatch
):
    # given: the worker dies after the shop answered, before the answer is recorded
    for n in range(4):
        make_listing(channel, f"MAT-{n}")
    recorded = publication.record_answers

    def die_once(*args, **kwargs):
        monkeypatch.setattr(publication, "record_answers", recorded)
        raise SystemError("worker killed")

    monkeypatch.setattr(publication, "record_answers", die_once)
    run = start_publication(channel.pk)

    # when: the chunk runs, dies, and runs again
    run_publication_chunks()

    # then
    run.refresh_from_db()
    assert (run.status, run.recovered_count) == ("succeeded", 4)
    assert shop.records()["created_by_sku"] == {f"MAT-{n}": 1 for n in range(4)}
    assert Listing.objects.filter(publish_state="published").count() == 4


def test_a_listing_without_price_is_refused_without_sending(channel, config, shop):
    # given
    make_listing(channel, "MAT-0")
    make_listing(channel, "MAT-1", price=None)

    # when
    run = publish_all(channel)

    # then
    assert run.refused_count == 1
    row = ListingPublication.objects.get(listing__channel_sku="MAT-1")
    assert (row.error_field, row.error_code) == ("price", "NO_PRICE")
    assert [v["sku"] for v in shop.variants()] == ["MAT-0"]


def test_a_delisted_listing_is_archived_in_the_shop_and_comes_back(channel, config, shop):
    # given
    listing = make_listing(channel, "MAT-0")
    publish_all(channel)

    # when
    change_listing(listing, is_listed=False)
    unpublished = publish_all(channel)
    listing.refresh_from_db()
    change_listing(listing, is_listed=True)
    back = publish_all(channel)

    # then
    assert unpublished.unpublished_count == 1
    assert back.updated_count == 1
    status_query = "{ products(first: 5) { nodes { status } } }"
    assert shop.graphql(status_query).json()["data"]["products"]["nodes"] == [{"status": "ACTIVE"}]
    assert shop.stats()["mutation.productSet"] == 3  # create, archive, reactivate
    assert ListingPublication.objects.get(pk=listing.pk).is_active_in_shop


def test_publish_inventory_sets_available_per_location_and_names_refusals(channel, config, shop):
    # given
    published, unpublished = make_listing(channel, "MAT-0"), make_listing(channel, "MAT-1")
    start_publication(channel.pk)
    Listing.objects.filter(pk=unpublished.pk).update(publish_state="failed")  # never sent
    run_publication_chunks()

    # when
    outcome = publication.publish_inventory(
        channel,
        [
            (published, "WEB-DC", 12),
            ("MAT-0", "STORE-017", 3),
            ("MAT-0", "NOWHERE", 1),
            ("MAT-1", "WEB-DC", 5),
        ],
        reference_uri="gid://syncplatform/Availability/7",
    )

    # then
    assert outcome.sent == 2
    assert outcome.not_in_shop == ["MAT-1"]
    assert [(r.sku, r.location_code, r.field) for r in outcome.refused] == [
        ("MAT-0", "NOWHERE", "locationId")
    ]
    (variant,) = shop.variants()
    assert variant["quantities"]["WEB-DC"]["available"] == 12
    assert variant["quantities"]["STORE-017"]["available"] == 3


def test_a_throttled_shop_is_waited_for_not_overrun(channel, config, shop):
    # given: a bucket of 120 points refilling 400 a second; 50 creates would cost 500
    shop.configure(throttle={"maximum": 120.0, "restore_rate": 400.0})
    for n in range(30):
        make_listing(channel, f"MAT-{n:02d}")

    # when
    run = publish_all(channel)

    # then: after the first refusal taught it the bucket, requests of 12 creates fit and
    # the client waited for the bucket before each, so the shop refused nothing more
    assert run.created_count == 30
    assert shop.stats()["throttled"] == 1
    assert shop.stats()["mutation.productSet"] == 30


def test_runs_of_one_channel_never_overlap(channel, config, shop):
    make_listing(channel, "MAT-0")

    first, second = start_publication(channel.pk), start_publication(channel.pk)

    assert first is not None and second is None
    assert PublicationRun.objects.filter(channel=channel).count() == 1


def test_publish_inventory_takes_availability_rows(channel, config, shop):
    # given: the shape availability publishes (channel_sku, channel_location, quantity)
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:
        channel_sku: str
        channel_location: str
        quantity: int

    make_listing(channel, "MAT-0")
    publish_all(channel)

    # when
    outcome = publication.publish_inventory(channel, [Row("MAT-0", "WEB-DC", 4)])

    # then
    assert (outcome.sent, outcome.refused, outcome.not_in_shop) == (1, [], [])
    assert shop.variants()[0]["quantities"]["WEB-DC"]["available"] == 4
