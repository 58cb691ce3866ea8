"""Catalog files arrive pushed to the IDoc endpoint or dropped on SFTP; both become loads."""

import base64
import hashlib
import os
import shutil
import tracemalloc
import uuid
from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.catalog.choices import CATALOG_IDOC_IN, LoadStatus
from syncplatform.catalog.models import CatalogLoad, Product
from syncplatform.catalog.services.drops import ensure_source_schedule, poll_catalog_source
from syncplatform.catalog.services.loads import load_next_chunk
from syncplatform.erpdocs.models import IdocConfig, InboundIdocFile
from tests.support.sftp import SFTP_VARIABLES

pytestmark = pytest.mark.django_db(transaction=True)

BASIC = "Basic " + base64.b64encode(b"sap-push:push-secret-1").decode()


@pytest.fixture
def push_config(erp):
    config = IdocConfig.objects.create(
        partner=erp,
        idoc_url="http://127.0.0.1:9/idoc",
        erp_port="SAPPRD",
        erp_partner="PRDCLNT100",
        inbound_username="sap-push",
    )
    config.set_inbound_password("push-secret-1")
    config.save()
    return config


def _run_all_chunks(load_id: int) -> CatalogLoad:
    while load_next_chunk(load_id):
        pass
    load = CatalogLoad.objects.get(pk=load_id)
    run_transaction(load.transaction_id)
    return CatalogLoad.objects.get(pk=load_id)


def test_a_pushed_matmas05_becomes_a_chunked_catalog_load(
    client, push_config, materials_source, matmas_file, published
):
    # given
    path, _ = matmas_file("push.xml", 12)

    # when the ERP pushes it
    response = client.post(
        "/api/v1/erp/demo-erp/idocs",
        data=path.read_bytes(),
        content_type="application/xml",
        HTTP_AUTHORIZATION=BASIC,
    )

    # then it is stored with the catalog's kind, and its transaction queues a load
    assert response.status_code == 202
    file = InboundIdocFile.objects.get()
    assert file.transaction.kind == CATALOG_IDOC_IN
    tx = run_transaction(file.transaction_id)
    assert tx.state == TransactionState.SUCCEEDED
    load = CatalogLoad.objects.get()
    assert (load.source, load.origin, load.total, load.status) == (
        materials_source,
        "push",
        12,
        LoadStatus.QUEUED,
    )
    assert f"catalog load #{load.pk} of erp-materials" in tx.events.last().message
    assert ("syncplatform.catalog.tasks.load_catalog_chunk_task", [load.pk]) in published
    # and the load runs in chunks of 7
    load = _run_all_chunks(load.pk)
    assert (load.status, load.next_chunk, load.added_count) == (LoadStatus.SUCCEEDED, 2, 12)
    assert Product.objects.count() == 12


def test_a_push_without_a_catalog_source_fails_saying_what_to_add(
    client, push_config, matmas_file, published
):
    path, _ = matmas_file("push.xml", 3)
    client.post(
        "/api/v1/erp/demo-erp/idocs",
        data=path.read_bytes(),
        content_type="application/xml",
        HTTP_AUTHORIZATION=BASIC,
    )
    file = InboundIdocFile.objects.get()

    tx = run_transaction(file.transaction_id)

    assert tx.state == TransactionState.FAILED and tx.last_error_code == "no_catalog_source"
    assert "no active catalog source of type MATMAS05 accepts pushes from demo-erp" in (
        tx.last_error_message
    )
    assert not CatalogLoad.objects.exists()


@pytest.fixture
def drop_folders():
    missing = [name for name in SFTP_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run under `make test` (needs the test sshd)")
    base = Path(os.environ["TEST_SFTP_ROOT"]) / f"catalog-tests-{uuid.uuid4().hex[:12]}"
    base.mkdir()
    base.chmod(0o777)
    for name in ("inbound", "archive", "error"):
        (base / name).mkdir()
        (base / name).chmod(0o777)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def drop_source(materials_source, drop_folders):
    for field, value in {
        "sftp_host": os.environ["TEST_SFTP_HOST"],
        "sftp_port": int(os.environ["TEST_SFTP_PORT"]),
        "sftp_username": os.environ["TEST_SFTP_USER"],
        "sftp_private_key": Path(os.environ["TEST_SFTP_KEY"]).read_text(),
        "sftp_known_hosts": os.environ["TEST_SFTP_HOST_KEY"],
        "settle_seconds": 0,
        **{
            f"{name}_folder": f"{drop_folders.name}/{name}"
            for name in ("inbound", "archive", "error")
        },
    }.items():
        setattr(materials_source, field, value)
    materials_source.save()
    return materials_source


def _drop(folders: Path, name: str, content: bytes) -> None:
    temporary = folders / "inbound" / f".{name}.part"
    temporary.write_bytes(content)
    temporary.rename(folders / "inbound" / name)


def test_a_dropped_file_is_taken_loaded_and_archived_once(
    drop_source, drop_folders, matmas_file, published
):
    # given a file in the drop folder (and an upload in progress, a dot-file)
    path, _ = matmas_file("MATMAS_20261207.xml", 9)
    _drop(drop_folders, "MATMAS_20261207.xml", path.read_bytes())
    (drop_folders / "inbound" / ".next.xml.part").write_bytes(b"<MATMAS05>")

    # when the source is polled twice
    assert poll_catalog_source(drop_source.pk) == 1
    assert poll_catalog_source(drop_source.pk) == 0

    # then one load was queued and the file is in the archive
    load = CatalogLoad.objects.get()
    assert (load.file_name, load.origin, load.total) == ("MATMAS_20261207.xml", "sftp", 9)
    assert sorted(p.name for p in (drop_folders / "archive").iterdir()) == ["MATMAS_20261207.xml"]
    assert [p.name for p in (drop_folders / "inbound").iterdir()] == [".next.xml.part"]
    assert _run_all_chunks(load.pk).added_count == 9


def test_a_dropped_file_too_large_goes_to_the_error_folder_with_a_failed_poll(
    drop_source, drop_folders, matmas_file, published
):
    drop_source.max_file_megabytes = 1
    drop_source.save()
    _drop(drop_folders, "huge.xml", b"<MATMAS05>" + b" " * (1024 * 1024) + b"</MATMAS05>")

    assert poll_catalog_source(drop_source.pk) == 0

    assert [p.name for p in (drop_folders / "error").iterdir()] == ["huge.xml"]
    assert not CatalogLoad.objects.exists()
    failed = SyncTransaction.objects.get(kind="catalog.poll")
    assert failed.state == TransactionState.FAILED and failed.last_error_code == "file_too_large"
    assert "erp-materials drop folder huge.xml" in failed.last_error_message


def test_a_large_drop_is_streamed_to_its_load_in_bounded_memory(
    drop_source, drop_folders, matmas_file, published
):
    # given a full extract of 12,000 materials (about 40 MB) in the drop folder
    path, _ = matmas_file("MATMAS_FULL.xml", 12_000)
    size = path.stat().st_size
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    _drop(drop_folders, "MATMAS_FULL.xml", path.read_bytes())
    drop_source.max_file_megabytes = 64
    drop_source.save()

    # when the source is polled, with memory traced (the SFTP reader's thread too)
    tracemalloc.start()
    try:
        queued = poll_catalog_source(drop_source.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # then the load holds the whole file, and the poll never held more than a few blocks of it
    assert queued == 1
    load = CatalogLoad.objects.get()
    assert (load.sha256, load.total) == (sha256, 12_000)
    assert Path(load.stored_path).stat().st_size == size
    assert peak < size / 3, f"peak {peak / 2**20:.1f} MB for a {size / 2**20:.1f} MB file"
    assert [p.name for p in (drop_folders / "archive").iterdir()] == ["MATMAS_FULL.xml"]
    # and no local download is left behind
    assert not [p for p in Path(load.stored_path).parent.iterdir() if p.name.startswith(".")]


def test_a_source_with_a_drop_folder_gets_its_own_beat_row(drop_source):
    ensure_source_schedule(drop_source, every_seconds=30)

    row = PeriodicTask.objects.get(name="poll catalog source erp-materials")
    assert row.args == f'["catalog.poll", {drop_source.pk}]'
    assert (row.queue, row.interval.every) == ("batch", 30)
