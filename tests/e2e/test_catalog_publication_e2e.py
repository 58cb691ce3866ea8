"""Catalog publication end to end: MATMAS05/COND_A04 loads, a Celery batch worker on RabbitMQ,
PostgreSQL, and the sandbox shop over a real socket, throttling and refusing some variants."""

import pytest

from connectors.idoc.catalog_files import generate_conda04, generate_matmas
from syncplatform.audit.models import RetryPolicy, SyncTransaction
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.catalog.choices import PublishState, SourceKind
from syncplatform.catalog.models import (
    CatalogSource,
    Listing,
    ListingPublication,
    PublicationRun,
)
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.catalog.services.publication import (
    CATALOG_PUBLISH,
    CATALOG_PUBLISH_LISTING,
    start_publication,
)
from syncplatform.partners.models import ChannelConfig, Partner
from tests.catalog.publication_fixtures import make_listing
from tests.connectors.sandbox_shop.shop_process import running_sandbox_shop
from tests.support.processes import wait_until


@pytest.fixture(scope="module")
def shop_server(logs_dir):
    with running_sandbox_shop(logs_dir, "--location", "WEB-DC") as shop:
        yield shop


@pytest.fixture
def shop(shop_server):
    shop_server.reset()
    yield shop_server
    shop_server.reset()


@pytest.fixture
def channel_and_erp(transactional_db):
    # A chunk that finds the channel busy (its redelivered twin still running) retries soon.
    RetryPolicy.objects.update_or_create(
        kind=CATALOG_PUBLISH,
        defaults={"max_attempts": 50, "delays_seconds": [1], "jitter_ratio": 0},
    )
    erp = Partner.objects.create(code="demo-erp", name="ERP", kind="erp")
    channel = Partner.objects.create(code="demo-web", name="Web shop", kind="channel")
    ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        new_materials_get_material_sku=True,
    )
    return channel, erp


def connect_shop(channel, shop) -> None:
    ChannelConfig.objects.filter(partner=channel).update(shop_url=shop.url, shop_access_token="")
    config = ChannelConfig.objects.get(partner=channel)
    config.shop_access_token = shop.token  # through the field: stored encrypted
    config.save()


def wait_for_run(channel, number: int, timeout: float = 300) -> PublicationRun:
    def finished():
        runs = list(PublicationRun.objects.filter(channel=channel).order_by("pk"))
        return len(runs) >= number and runs[number - 1].status == "succeeded" and runs[number - 1]

    return wait_until(finished, timeout=timeout, interval=0.5, what=f"publication run {number}")


def write(tmp_path, name, generate, count, **options):
    path = tmp_path / name
    with path.open("wb") as out:
        generate(out, count, **options)
    return path


def test_a_load_then_a_delta_publish_only_changed_listings_within_the_throttle(
    channel_and_erp, shop, start_worker, tmp_path, settings
):
    # given: the shop throttles (a bucket of 150 points, 600 a second) and refuses ~10% of SKUs
    channel, erp = channel_and_erp
    settings.VAR_DIR = tmp_path / "var"
    shop.configure(fail_rate=0.1, throttle={"maximum": 150.0, "restore_rate": 600.0})
    materials = CatalogSource.objects.create(
        partner=erp, code="materials", kind=SourceKind.MATMAS05, chunk_size=25
    )
    prices = CatalogSource.objects.create(
        partner=erp, code="prices", kind=SourceKind.COND_A04, chunk_size=25
    )
    load_file_now(materials, write(tmp_path, "m1.xml", generate_matmas, 60, seed=1))
    load_file_now(prices, write(tmp_path, "p1.xml", generate_conda04, 60, seed=1))
    start_worker("batch", "batch")

    # when: the channel gets its shop and its publication runs on the batch worker
    connect_shop(channel, shop)
    start_publication(channel.pk)
    first = wait_for_run(channel, 1)

    # then: every listing is published or refused by name, each variant created once
    listings = Listing.objects.filter(channel=channel, is_listed=True)
    states = dict(listings.values_list("channel_sku", "publish_state"))
    refused = {sku for sku, state in states.items() if state == PublishState.FAILED}
    published = {sku for sku, state in states.items() if state == PublishState.PUBLISHED}
    assert published | refused == set(states) and refused and published
    assert {v["sku"] for v in shop.variants()} == published
    assert set(shop.records()["created_by_sku"]) == published
    assert shop.stats()["created_more_than_once"] == {}
    for row in ListingPublication.objects.filter(listing__channel_sku__in=refused):
        assert (row.error_field, row.error_code) == ("barcode", "INVALID_VARIANT")
    failed = SyncTransaction.objects.filter(kind=CATALOG_PUBLISH_LISTING, state="failed")
    assert set(failed.values_list("business_key", flat=True)) == refused
    assert first.total == len(states)
    before = shop.stats()

    # when: a delta with 10% of the materials changed is loaded; its end starts a publication
    load_file_now(
        materials,
        write(tmp_path, "m2.xml", generate_matmas, 60, seed=2, base_seed=1, changed_fraction=0.1),
    )
    second = wait_for_run(channel, 2)

    # then: only the changed listings were read and sent
    after = shop.stats()
    sent = sum(after.get(k, 0) - before.get(k, 0) for k in after if k.startswith("mutation."))
    assert 0 < second.total <= 6
    assert second.done == second.total
    assert 0 < sent <= second.total
    assert shop.stats()["created_more_than_once"] == {}
    assert not Listing.objects.filter(channel=channel, publish_state="pending").exists()


def test_a_worker_killed_mid_publication_resumes_without_sending_twice(
    channel_and_erp, shop, start_worker, settings
):
    # given: 400 pending listings, a shop slow enough (0.4 s a request) to kill the worker
    channel, _ = channel_and_erp
    for n in range(400):
        make_listing(channel, f"MAT-{n:04d}")
    connect_shop(channel, shop)
    shop.configure(latency_ms=400)
    worker = start_worker("batch", "batch")
    run = start_publication(channel.pk)

    # when: the worker is SIGKILLed once some batches are recorded
    wait_until(
        lambda: PublicationRun.objects.get(pk=run.pk).done >= 100,
        timeout=180,
        interval=0.05,
        what="100 listings recorded",
    )
    worker.kill()
    killed_at = PublicationRun.objects.get(pk=run.pk).done
    shop.configure(latency_ms=0)
    start_worker("batch", "batch")

    # then: the sweeper hands the chunk to the new worker once its lease ran out, and the
    # run ends with each listing's variant created exactly once
    def finished():
        sweep_due_transactions()
        return PublicationRun.objects.get(pk=run.pk).status == "succeeded"

    wait_until(finished, timeout=300, interval=1, what="the publication to finish")
    run.refresh_from_db()
    assert killed_at < 400
    assert run.done == 400
    created = shop.records()["created_by_sku"]
    assert created == {f"MAT-{n:04d}": 1 for n in range(400)}
    assert Listing.objects.filter(channel=channel, publish_state="published").count() == 400
    assert not ListingPublication.objects.filter(sending_at__isnull=False).exists()
