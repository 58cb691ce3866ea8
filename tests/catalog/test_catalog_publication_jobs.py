"""How publications are started: the chunk job's id on the batch lane, beat rows, after a load."""

import json

from django_celery_beat.models import PeriodicTask

from syncplatform.audit.dispatch import RUN_TRANSACTION_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.catalog.choices import SourceKind
from syncplatform.catalog.models import CatalogLoad, CatalogSource, Listing, PublicationRun
from syncplatform.catalog.services.publication import (
    CATALOG_PUBLISH,
    CATALOG_PUBLISH_SCHEDULE,
    start_publication,
)
from syncplatform.partners.models import ChannelConfig
from tests.catalog.publication_fixtures import make_listing

SHOP = "http://127.0.0.1:9/shop"


def shop_config(channel, erp, shop_url=SHOP) -> ChannelConfig:
    return ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        shop_url=shop_url,
        shop_access_token="token",
    )


def test_a_run_publishes_its_first_chunk_transaction_id_after_commit(
    channel, erp, published, django_capture_on_commit_callbacks
):
    # given
    shop_config(channel, erp)
    make_listing(channel, "MAT-0")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = start_publication(channel.pk)

    # then
    tx = SyncTransaction.objects.get(kind=CATALOG_PUBLISH)
    assert (tx.subject_id, tx.partner_id, tx.state) == (run.pk, channel.pk, "received")
    assert published == [(RUN_TRANSACTION_TASK, [tx.pk])]


def test_no_run_without_a_shop_or_without_pending_listings(channel, erp, published):
    # given: a pending listing on a channel without a shop
    config = shop_config(channel, erp, shop_url="")
    listing = make_listing(channel, "MAT-0")
    without_shop = start_publication(channel.pk)

    # when: the channel gets a shop but nothing is pending any more
    config.shop_url = SHOP
    config.save()
    Listing.objects.filter(pk=listing.pk).update(publish_state="published")
    nothing_pending = start_publication(channel.pk)

    # then
    assert without_shop is None and nothing_pending is None
    assert not PublicationRun.objects.exists()


def test_a_channel_given_a_shop_gets_its_publication_beat_row(channel, erp):
    # when
    shop_config(channel, erp)

    # then
    row = PeriodicTask.objects.get(name=f"publish changed listings of {channel.code}")
    assert json.loads(row.args) == [CATALOG_PUBLISH_SCHEDULE, channel.pk]
    assert row.queue == "batch"


def test_a_load_that_changed_listings_starts_the_publication(
    channel, erp, published, django_capture_on_commit_callbacks
):
    # given
    shop_config(channel, erp)
    make_listing(channel, "MAT-0")
    source = CatalogSource.objects.create(partner=erp, code="m", kind=SourceKind.MATMAS05)

    # when: a load ends having changed listings
    with django_capture_on_commit_callbacks(execute=True):
        CatalogLoad.objects.create(
            source=source,
            file_name="m.xml",
            origin="command",
            sha256="0" * 64,
            status="succeeded",
            listings_changed_count=1,
        )

    # then
    run = PublicationRun.objects.get(channel=channel)
    assert run.total == 1
    assert SyncTransaction.objects.filter(kind=CATALOG_PUBLISH, subject_id=run.pk).count() == 1
