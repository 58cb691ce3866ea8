"""Catalog loads on PostgreSQL: full then delta, duplicates, listings, chunk order and resume."""

import pytest
from django.db import connection, transaction

from connectors.idoc.catalog_files import Change, material_number
from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.catalog.choices import LoadStatus, PublishState
from syncplatform.catalog.models import Barcode, CatalogLoad, CatalogSource, Listing, Product
from syncplatform.catalog.services import listings, materials
from syncplatform.catalog.services import loads as load_service
from syncplatform.catalog.services.loads import load_file_now, load_next_chunk, queue_load
from syncplatform.mappings.models import SkuMapping
from tests.catalog.catalog_state import catalog_digest

pytestmark = pytest.mark.django_db(transaction=True)


def _published_all():
    Listing.objects.update(publish_state=PublishState.PUBLISHED)


def test_a_full_load_adds_every_material_with_units_barcodes_and_listings(
    materials_source, listing_channel, matmas_file
):
    # given a file of 20 materials in chunks of 7
    path, _generated = matmas_file("full.xml", 20)

    # when
    summary = load_file_now(materials_source, path)

    # then
    assert (summary.status, summary.read, summary.added, summary.refused) == (
        "succeeded",
        20,
        20,
        0,
    )
    assert Product.objects.count() == 20
    product = Product.objects.get(number=material_number(1))
    assert product.base_unit == "EA" and product.descriptions and not product.is_deleted
    assert {u.unit for u in product.units.all()} >= {"EA"}
    assert Barcode.objects.filter(unit__product=product, is_main=True).exists()
    load = CatalogLoad.objects.get(pk=summary.load_id)
    assert (load.next_chunk, load.position, load.total) == (3, 20, 20)
    # listed: every material with an undeleted 1000/10 sales area, SKU = material number
    listed = Listing.objects.filter(channel=listing_channel.partner, is_listed=True)
    assert listed.count() == summary.listings_changed > 0
    assert all(listing.channel_sku == listing.product.number for listing in listed)
    assert SkuMapping.objects.filter(channel=listing_channel.partner).count() == listed.count()
    history = SkuMapping.history.filter(channel=listing_channel.partner)
    assert history.count() == listed.count()
    assert {h.history_change_reason for h in history} == {
        "catalog load: new material, channel SKU = material number"
    }
    tx = load.transaction
    assert tx.state == TransactionState.SUCCEEDED
    assert (
        "read 20, added 20, changed 0, unchanged 0, deleted 0, refused 0"
        in tx.events.last().message
    )


def test_a_delta_writes_and_queues_only_the_changed_materials(
    materials_source, listing_channel, matmas_file
):
    # given a loaded catalog whose listings were all published
    base, _ = matmas_file("base.xml", 30, seed=1)
    load_file_now(materials_source, base)
    _published_all()
    before = {p.number: (p.changed_at, bytes(p.content_hash)) for p in Product.objects.all()}

    # when a delta with 10% changed (a description, an EAN, a deletion) is loaded
    delta, generated = matmas_file("delta.xml", 30, seed=2, base_seed=1, changed_fraction=0.1)
    summary = load_file_now(materials_source, delta)

    # then exactly those materials were written
    changed = {material_number(position): kind for position, kind in generated.changes.items()}
    assert len(changed) == 3
    deletions = sum(1 for kind in changed.values() if kind == Change.DELETED)
    assert (summary.changed, summary.deleted, summary.unchanged) == (
        3 - deletions,
        deletions,
        27,
    )
    after = {p.number: (p.changed_at, bytes(p.content_hash)) for p in Product.objects.all()}
    rewritten = {number for number in after if after[number] != before[number]}
    assert rewritten == set(changed)
    # and only their listings wait for publication
    pending = set(
        Listing.objects.filter(publish_state=PublishState.PENDING).values_list(
            "product__number", flat=True
        )
    )
    listed_before = set(Listing.objects.values_list("product__number", flat=True))
    assert pending == set(changed) & listed_before
    # a deleted material is unpublished, not forgotten
    for number, kind in changed.items():
        if kind == Change.DELETED:
            assert Product.objects.get(number=number).is_deleted
            listing = Listing.objects.filter(product__number=number).first()
            assert listing is None or listing.is_listed is False


def test_the_same_file_again_is_a_recorded_duplicate_and_writes_nothing(
    materials_source, listing_channel, matmas_file
):
    path, _ = matmas_file("full.xml", 10)
    first = load_file_now(materials_source, path)
    digest = catalog_digest()

    again = load_file_now(materials_source, path)

    assert again.status == LoadStatus.DUPLICATE and again.read == 0
    load = CatalogLoad.objects.get(pk=again.load_id)
    assert load.duplicate_of_id == first.load_id
    assert load.transaction.state == TransactionState.SUCCEEDED
    skipped = load.transaction.events.get(kind=EventKind.SKIPPED)
    assert f"duplicate of full.xml (load #{first.load_id}" in skipped.message
    assert catalog_digest() == digest


def test_a_price_load_changes_the_listing_of_its_material(
    materials_source, prices_source, listing_channel, matmas_file, conda04_file
):
    # given published listings
    load_file_now(materials_source, matmas_file("m.xml", 10)[0])
    _published_all()
    # when the prices arrive
    summary = load_file_now(prices_source, conda04_file("p.xml", 10)[0])
    # then each listed material with a PR00 price in 1000/10 waits for publication again
    assert summary.added > 0 and summary.refused == 0
    assert summary.listings_changed == Listing.objects.filter(publish_state="pending").count() > 0
    # and the same prices again change nothing
    _published_all()
    again = load_file_now(prices_source, conda04_file("p2.xml", 10, first_docnum=500)[0])
    assert (again.added, again.changed, again.listings_changed) == (0, 0, 0)


def test_a_second_load_of_a_source_waits_for_the_first(materials_source, matmas_file, published):
    # given two queued loads of one source
    first = queue_load(
        materials_source,
        matmas_file("a.xml", 10)[0].open("rb").read,
        file_name="a.xml",
        origin="command",
    )
    second = queue_load(
        materials_source,
        matmas_file("b.xml", 10, seed=9)[0].open("rb").read,
        file_name="b.xml",
        origin="command",
    )

    # when the second one's chunk comes first, it does nothing
    assert load_next_chunk(second.pk) is False
    second.refresh_from_db()
    assert (second.status, second.next_chunk, second.chunk_attempts) == ("queued", 0, 0)

    # then the first runs to its end and queues the second
    while load_next_chunk(first.pk):
        pass
    assert published[-1] == ("syncplatform.catalog.tasks.load_catalog_chunk_task", [second.pk])


def test_a_chunk_that_fails_resumes_from_the_checkpoint_with_the_same_catalog(
    materials_source, listing_channel, matmas_file, monkeypatch, django_db_blocker
):
    path, _ = matmas_file("full.xml", 25)
    # given an uninterrupted load's catalog
    load_file_now(materials_source, path)
    expected = catalog_digest()
    _wipe_catalog()

    # when the same file's load dies in its third chunk (after two commits)
    real_write = materials._write_postgresql
    calls = {"n": 0}

    def dying_write(load, accepted, digests):
        calls["n"] += 1
        if calls["n"] == 3:
            real_write(load, accepted, digests)  # written, but the transaction never commits
            raise RuntimeError("worker killed")
        return real_write(load, accepted, digests)

    monkeypatch.setattr(materials, "_write_postgresql", dying_write)
    other_source = CatalogSource.objects.create(
        partner=materials_source.partner,
        code="second-feed",
        kind=materials_source.kind,
        accepts_push=False,
        chunk_size=materials_source.chunk_size,
    )
    load = queue_load(
        other_source,
        path.open("rb").read,
        file_name="again.xml",
        origin="command",
        publish=False,
    )
    assert load_next_chunk(load.pk) and load_next_chunk(load.pk)
    with pytest.raises(RuntimeError):
        load_next_chunk(load.pk)
    load.refresh_from_db()
    assert (load.next_chunk, load.position, load.chunk_attempts) == (2, 14, 1)

    # then the next attempt goes on from chunk 3 and ends with the same catalog
    while load_next_chunk(load.pk):
        pass
    load.refresh_from_db()
    assert load.status == LoadStatus.SUCCEEDED and load.read_count == 25
    assert catalog_digest() == expected


def test_a_chunk_failing_again_and_again_fails_its_load(
    materials_source, matmas_file, monkeypatch, settings
):
    settings.SYNC_CATALOG_MAX_CHUNK_ATTEMPTS = 2

    def broken(load, accepted, digests):
        raise RuntimeError("disk full")

    monkeypatch.setattr(materials, "_write_postgresql", broken)
    path, _ = matmas_file("full.xml", 5)
    load = queue_load(
        materials_source, path.open("rb").read, file_name="f.xml", origin="command", publish=False
    )
    for _ in range(2):
        with pytest.raises(RuntimeError):
            load_next_chunk(load.pk)
        load_service.record_chunk_error(load.pk, RuntimeError("disk full"))
    assert load_next_chunk(load.pk) is False
    load.refresh_from_db()
    assert load.status == LoadStatus.FAILED
    assert load.error_message == "chunk 1 failed 2 times; last: RuntimeError: disk full"


def test_the_resumer_queues_a_load_that_stopped_moving(
    materials_source, matmas_file, published, settings
):
    settings.SYNC_CATALOG_RESUME_SECONDS = 0
    path, _ = matmas_file("full.xml", 5)
    load = queue_load(
        materials_source, path.open("rb").read, file_name="f.xml", origin="command", publish=False
    )

    assert load_service.resume_stalled_loads() == 1
    assert published == [("syncplatform.catalog.tasks.load_catalog_chunk_task", [load.pk])]


def _wipe_catalog():
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalog_listing; DELETE FROM catalog_barcode; "
            "DELETE FROM catalog_productunit; DELETE FROM catalog_product; "
            "DELETE FROM mappings_historicalskumapping; DELETE FROM mappings_skumapping;"
        )


def test_deriving_listings_in_a_chunk_turns_jit_off_until_it_commits(listing_channel):
    # JIT compiled the derive statement per chunk for nothing (its estimate over
    # unanalysed temp tables passes jit_above_cost); the setting ends with the chunk
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        before = cursor.fetchone()[0]
        with transaction.atomic():
            listings.derive_postgresql(cursor, "SELECT id FROM catalog_product")
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == before


def test_the_next_chunk_is_published_after_the_sources_lock_is_released(
    materials_source, matmas_file, monkeypatch
):
    # given a load of three chunks, queued without a publish
    path, _ = matmas_file("full.xml", 20)
    load = queue_load(
        materials_source, path.open("rb").read, file_name="f.xml", origin="command", publish=False
    )
    published = []

    def record(load_id):
        # A worker taking the chunk at once must not find the source's lock still held.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
            )
            published.append((load_id, cursor.fetchone()[0]))

    monkeypatch.setattr(load_service, "_publish_chunk", record)

    # when a worker does the first chunk
    assert load_next_chunk(load.pk)

    # then it published the second once its lock was gone
    assert published == [(load.pk, 0)]


def test_a_load_run_here_publishes_no_chunk_task_of_its_own(
    materials_source, matmas_file, monkeypatch
):
    # given a file of three chunks
    path, _ = matmas_file("full.xml", 20)
    published = []
    monkeypatch.setattr(load_service, "_publish_chunk", published.append)

    # when it is loaded in this process
    summary = load_file_now(materials_source, path)

    # then every chunk was done here, and no worker was sent one to race the loop for
    assert summary.status == "succeeded" and summary.read == 20
    assert published == []
