"""Catalog loads end to end: files dropped on the real sshd, chunks run by a real batch worker
over RabbitMQ against PostgreSQL; a worker SIGKILLed mid-load resumes with the same catalog."""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.db import connection

from connectors.idoc.catalog_files import generate_matmas, material_number
from syncplatform.audit.choices import TransactionState
from syncplatform.catalog.choices import LoadStatus, PublishState, SourceKind
from syncplatform.catalog.models import CatalogLoad, CatalogSource, Listing, Product
from syncplatform.catalog.services.drops import poll_catalog_source
from syncplatform.catalog.services.loads import load_file_now, queue_load, resume_stalled_loads
from syncplatform.partners.models import ChannelConfig, Partner
from tests.catalog.catalog_state import catalog_digest
from tests.support.processes import wait_until
from tests.support.sftp import SFTP_VARIABLES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog_erp(transactional_db):
    erp = Partner.objects.create(code="demo-erp", name="Sandbox ERP", kind="erp")
    channel = Partner.objects.create(code="demo-web", name="Demo web", kind="channel")
    ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        new_materials_get_material_sku=True,
    )
    return erp


@pytest.fixture
def drop_folders():
    missing = [name for name in SFTP_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run under `make test` (needs the test sshd)")
    base = Path(os.environ["TEST_SFTP_ROOT"]) / f"catalog-e2e-{uuid.uuid4().hex[:12]}"
    base.mkdir()
    base.chmod(0o777)
    for name in ("inbound", "archive", "error"):
        (base / name).mkdir()
        (base / name).chmod(0o777)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _source(erp, code: str, chunk_size: int, drop_folders: Path | None = None) -> CatalogSource:
    sftp = {}
    if drop_folders is not None:
        sftp = {
            "sftp_host": os.environ["TEST_SFTP_HOST"],
            "sftp_port": int(os.environ["TEST_SFTP_PORT"]),
            "sftp_username": os.environ["TEST_SFTP_USER"],
            "sftp_private_key": Path(os.environ["TEST_SFTP_KEY"]).read_text(),
            "sftp_known_hosts": os.environ["TEST_SFTP_HOST_KEY"],
            "settle_seconds": 0,
            **{f"{n}_folder": f"{drop_folders.name}/{n}" for n in ("inbound", "archive", "error")},
        }
    return CatalogSource.objects.create(
        partner=erp,
        code=code,
        kind=SourceKind.MATMAS05,
        chunk_size=chunk_size,
        accepts_push=False,
        **sftp,
    )


def _drop(folders: Path, name: str, content: bytes) -> None:
    temporary = folders / "inbound" / f".{name}.part"
    temporary.write_bytes(content)
    temporary.rename(folders / "inbound" / name)


def _matmas(tmp_path, name, count, **options) -> tuple[Path, object]:
    path = tmp_path / name
    with path.open("wb") as out:
        generated = generate_matmas(out, count, **options)
    return path, generated


def _finished(load_id: int) -> CatalogLoad | None:
    load = CatalogLoad.objects.select_related("transaction").get(pk=load_id)
    done = load.is_finished and load.transaction.state in (
        TransactionState.SUCCEEDED,
        TransactionState.FAILED,
    )
    return load if done else None


def test_a_dropped_full_file_then_a_delta_load_through_the_batch_worker(
    catalog_erp, drop_folders, tmp_path, start_worker
):
    start_worker("catalog", queues="batch")
    source = _source(catalog_erp, "erp-materials", 150, drop_folders)

    # a full file of 600 materials is dropped and taken
    base, _ = _matmas(tmp_path, "MATMAS_full.xml", 600, seed=1)
    _drop(drop_folders, "MATMAS_full.xml", base.read_bytes())
    assert poll_catalog_source(source.pk) == 1
    full = wait_until(
        lambda: _finished(CatalogLoad.objects.get().pk), timeout=120, what="the full load"
    )
    assert (full.status, full.added_count, full.next_chunk) == (LoadStatus.SUCCEEDED, 600, 4)
    assert full.transaction.state == TransactionState.SUCCEEDED
    assert "read 600, added 600" in full.transaction.events.last().message
    assert sorted(p.name for p in (drop_folders / "archive").iterdir()) == ["MATMAS_full.xml"]
    Listing.objects.update(publish_state=PublishState.PUBLISHED)

    # then a delta with 2% changed
    delta, generated = _matmas(
        tmp_path, "MATMAS_delta.xml", 600, seed=2, base_seed=1, changed_fraction=0.02
    )
    _drop(drop_folders, "MATMAS_delta.xml", delta.read_bytes())
    assert poll_catalog_source(source.pk) == 1
    load_id = CatalogLoad.objects.exclude(pk=full.pk).get().pk
    load = wait_until(lambda: _finished(load_id), timeout=120, what="the delta load")

    changed = {material_number(position) for position in generated.changes}
    assert load.status == LoadStatus.SUCCEEDED
    assert load.changed_count + load.deleted_count == len(changed) == 12
    assert load.unchanged_count == 588
    assert (
        set(Product.objects.filter(last_load_id=load_id).values_list("number", flat=True))
        == changed
    )
    pending = set(
        Listing.objects.filter(publish_state="pending").values_list("product__number", flat=True)
    )
    assert pending and pending <= changed


def test_a_worker_killed_mid_load_resumes_from_the_checkpoint_with_the_same_catalog(
    catalog_erp, tmp_path, start_worker, settings
):
    path, _ = _matmas(tmp_path, "MATMAS_big.xml", 6000, seed=7)
    # given the catalog an uninterrupted load of the file makes
    reference = load_file_now(_source(catalog_erp, "reference", 300), path)
    assert reference.added == 6000
    expected = catalog_digest()
    _wipe_catalog()

    # when a batch worker loading it is SIGKILLed after a few chunks
    doomed = start_worker("doomed", queues="batch")
    with path.open("rb") as handle:
        load = queue_load(
            _source(catalog_erp, "erp-materials", 300),
            handle.read,
            file_name="MATMAS_big.xml",
            origin="command",
        )
    wait_until(
        lambda: CatalogLoad.objects.get(pk=load.pk).next_chunk >= 3,
        timeout=120,
        interval=0.05,
        what="three chunks committed",
    )
    doomed.kill()
    killed_at = CatalogLoad.objects.get(pk=load.pk)
    assert not killed_at.is_finished, "the load ended before the worker was killed"

    # then a new worker (the redelivered chunk, or the resumer) finishes it from the checkpoint
    start_worker("survivor", queues="batch")
    settings.SYNC_CATALOG_RESUME_SECONDS = 2

    def finished_or_resumed():
        resume_stalled_loads()
        return _finished(load.pk)

    done = wait_until(finished_or_resumed, timeout=180, interval=1, what="the resumed load")
    assert done.status == LoadStatus.SUCCEEDED
    assert (done.read_count, done.added_count, done.next_chunk) == (6000, 6000, 20)
    assert done.transaction.state == TransactionState.SUCCEEDED
    assert catalog_digest() == expected


def _wipe_catalog():
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalog_listing; DELETE FROM catalog_barcode; "
            "DELETE FROM catalog_productunit; DELETE FROM catalog_product; "
            "DELETE FROM mappings_historicalskumapping; DELETE FROM mappings_skumapping;"
        )
