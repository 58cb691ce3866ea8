"""The scheduled 940 job through the real sshd: built, then uploaded in the same job.

The scheduled 940 job (``edi.940.out``) runs ``send_and_upload_shipping_orders``: the
SFTP session opens while the batch is built and the file is staged under its
hidden temporary name while the batch commits; the upload is the upload
transaction's first attempt, so its failures end on that transaction like any
other attempt's.
"""

import socket
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from connectors.errors import TransientError
from connectors.sftp import SftpClient
from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction, sweep_due_transactions
from syncplatform.audit.tasks import run_scheduled_job_task
from syncplatform.core.errors import NeedsPerson
from syncplatform.fulfillment.choices import Direction, InterchangeState, ShippingOrderStatus
from syncplatform.fulfillment.models import Interchange, ShippingOrder
from syncplatform.fulfillment.services import (
    poll_warehouse,
    send_and_upload_shipping_orders,
    send_shipping_orders,
    upload_interchange,
)
from syncplatform.fulfillment.services.shipping_order_batch import ShippingOrderBatch
from syncplatform.mappings.models import SkuMapping
from tests.fulfillment.fulfillment_files import order_line
from tests.support.sftp import pin_another_host_key


@pytest.fixture
def listener():
    """A loopback port that accepts TCP connections and never answers: who called?"""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def connections_to(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            accepted, _ = server.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1


def statuses() -> list[str]:
    return list(ShippingOrder.objects.order_by("order_id").values_list("status", flat=True))


def test_given_posted_orders_when_the_scheduled_task_runs_then_the_940_is_on_the_server(
    sftp_config, sftp_folders, posted_order, published, django_capture_on_commit_callbacks
):
    posted_order("WEB-JOB-1")
    posted_order("WEB-JOB-2", lines=[order_line(1, "SOCKS-3PK", 3)])

    with django_capture_on_commit_callbacks(execute=True):
        run_scheduled_job_task("edi.940.out", sftp_config.partner_id)

    interchange = Interchange.objects.get(direction=Direction.OUTBOUND)
    assert sftp_folders.names("outbound") == ["940_000000001.edi"]
    on_server = (sftp_folders.path("outbound") / "940_000000001.edi").read_bytes()
    assert on_server == bytes(interchange.content)
    assert interchange.state == InterchangeState.SENT and interchange.ack_due_by is not None
    assert statuses() == [ShippingOrderStatus.SENT] * 2
    tx = interchange.transaction
    assert (tx.state, tx.attempts) == (TransactionState.SUCCEEDED, 1)
    assert tx.events.last().message.startswith("940_000000001.edi uploaded (")
    assert published == []  # uploaded by the job: no second runner raced it for the row


def test_given_nothing_waiting_when_the_job_runs_then_no_connection_is_opened(
    sftp_config, listener
):
    sftp_config.sftp_host, sftp_config.sftp_port = listener.getsockname()
    sftp_config.save()

    assert send_and_upload_shipping_orders(sftp_config.partner_id) is None

    assert connections_to(listener) == 0
    assert not Interchange.objects.exists()


def test_given_a_batch_refused_for_a_vanished_mapping_when_the_job_runs_then_nothing_is_stored(
    sftp_config, sftp_folders, posted_order
):
    posted_order("WEB-GONE", lines=[order_line(1, "HOODIE-GRY-M", 1)])
    SkuMapping.objects.filter(channel_sku="HOODIE-GRY-M").update(is_active=False)

    with pytest.raises(NeedsPerson, match="sku HOODIE-GRY-M"):
        send_and_upload_shipping_orders(sftp_config.partner_id)

    assert not Interchange.objects.exists() and not ShippingOrder.objects.exists()
    assert sftp_folders.names("outbound") == []


def test_given_a_changed_host_key_when_the_job_runs_then_the_upload_fails_and_orders_stay_batched(
    sftp_config, sftp_folders, posted_order
):
    posted_order("WEB-KEY")
    pinned = pin_another_host_key(sftp_config)

    interchange = send_and_upload_shipping_orders(sftp_config.partner_id)

    tx = interchange.transaction
    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "host_key_mismatch")
    assert sftp_folders.names("outbound") == []
    assert statuses() == [ShippingOrderStatus.PENDING]
    assert send_and_upload_shipping_orders(sftp_config.partner_id) is None  # not batched again

    sftp_config.sftp_known_hosts = pinned
    sftp_config.save()
    replay_transaction(tx.pk, actor=None, reason="host key fixed")
    assert run_transaction(tx.pk, upload_interchange).state == TransactionState.SUCCEEDED

    assert sftp_folders.names("outbound") == [interchange.file_name]
    assert statuses() == [ShippingOrderStatus.SENT]


def test_given_a_warehouse_refusing_connections_when_the_job_runs_then_the_upload_is_retried(
    sftp_config, sftp_folders, posted_order
):
    posted_order("WEB-DOWN")
    address = sftp_config.sftp_host, sftp_config.sftp_port
    with socket.create_server(("127.0.0.1", 0)) as closed:
        sftp_config.sftp_host, sftp_config.sftp_port = closed.getsockname()
    sftp_config.save()  # nothing listens there any more: the warehouse's sshd is down

    interchange = send_and_upload_shipping_orders(sftp_config.partner_id)

    tx = interchange.transaction
    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.RETRYING, "connection")
    assert tx.next_attempt_at is not None
    assert statuses() == [ShippingOrderStatus.PENDING]

    sftp_config.sftp_host, sftp_config.sftp_port = address
    sftp_config.save()
    assert run_transaction(tx.pk, upload_interchange).state == TransactionState.SUCCEEDED

    assert sftp_folders.names("outbound") == [interchange.file_name]
    assert statuses() == [ShippingOrderStatus.SENT]
    assert send_shipping_orders(sftp_config.partner_id) is None  # sent once, never again


def test_given_an_upload_waiting_out_an_outage_when_the_warehouse_answers_a_poll_then_it_is_due(
    sftp_config, sftp_folders, posted_order, published, django_capture_on_commit_callbacks
):
    posted_order("WEB-OUTAGE")
    address = sftp_config.sftp_host, sftp_config.sftp_port
    with socket.create_server(("127.0.0.1", 0)) as closed:
        sftp_config.sftp_host, sftp_config.sftp_port = closed.getsockname()
    sftp_config.save()
    interchange = send_and_upload_shipping_orders(sftp_config.partner_id)
    tx = interchange.transaction
    tx.refresh_from_db()
    backoff_until = tx.next_attempt_at
    assert tx.state == TransactionState.RETRYING and backoff_until > timezone.now()

    sftp_config.sftp_host, sftp_config.sftp_port = address
    sftp_config.save()  # the server is back; the next poll of its inbound folder works
    poll_warehouse(sftp_config.partner_id)

    tx.refresh_from_db()
    assert tx.state == TransactionState.RETRYING and tx.attempts == 1  # no attempt spent
    assert tx.next_attempt_at < backoff_until
    note = tx.events.last()
    assert (note.kind, note.message) == (
        EventKind.NOTE,
        f"next attempt brought forward: the SFTP server of {sftp_config.partner.code} "
        "answered again",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions() == 1
    assert published == [("syncplatform.audit.tasks.run_transaction_task", [tx.pk])]
    assert run_transaction(tx.pk, upload_interchange).state == TransactionState.SUCCEEDED
    assert sftp_folders.names("outbound") == [interchange.file_name]


def test_given_an_upload_failed_for_its_content_when_the_warehouse_answers_then_it_keeps_waiting(
    sftp_config, posted_order
):
    posted_order("WEB-NAME-TAKEN")
    interchange = send_shipping_orders(sftp_config.partner_id)
    tx = interchange.transaction
    tx.start_attempt(lease_seconds=60)
    tx.schedule_retry("name_collision", "every collision name was taken", delay=timedelta(hours=1))

    poll_warehouse(sftp_config.partner_id)

    tx.refresh_from_db()
    assert tx.next_attempt_at > timezone.now() + timedelta(minutes=59)
    assert tx.events.last().kind == EventKind.RETRY_SCHEDULED


class WorkerLost(BaseException):
    """The job's process dying between the batch's commit and the upload's attempt."""


def test_given_a_job_that_dies_before_its_upload_then_the_sweeper_publishes_the_upload(
    sftp_config, sftp_folders, posted_order, published, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    posted_order("WEB-LOST")

    def die(*args):
        raise WorkerLost

    with monkeypatch.context() as patch, pytest.raises(WorkerLost):
        patch.setattr("syncplatform.fulfillment.services.outbound.run_transaction", die)
        send_and_upload_shipping_orders(sftp_config.partner_id)

    [interchange] = Interchange.objects.filter(direction=Direction.OUTBOUND)
    tx = interchange.transaction
    assert tx.state == TransactionState.RECEIVED and published == []
    type(tx).objects.filter(pk=tx.pk).update(next_attempt_at=tx.created_at)  # its grace is over
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_due_transactions() == 1
    assert published == [("syncplatform.audit.tasks.run_transaction_task", [tx.pk])]

    assert run_transaction(tx.pk, upload_interchange).state == TransactionState.SUCCEEDED
    assert sftp_folders.names("outbound") == [interchange.file_name]
    assert statuses() == [ShippingOrderStatus.SENT]


def test_given_a_batch_that_fails_after_its_file_was_staged_then_no_file_is_left(
    sftp_config, sftp_folders, posted_order, monkeypatch
):
    posted_order("WEB-ROLLBACK")
    staged: list[str] = []
    stage = SftpClient.stage

    def stage_and_note(client, folder, name, content):
        stage(client, folder, name, content)
        staged.append(sftp_folders.names("outbound")[0])

    def database_gone(batch, interchange, content):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SftpClient, "stage", stage_and_note)
    monkeypatch.setattr(ShippingOrderBatch, "store_bytes", database_gone)
    with pytest.raises(OperationalError):
        send_and_upload_shipping_orders(sftp_config.partner_id)

    assert staged == [".940_000000001.edi.part"]  # it was there while the batch committed
    assert sftp_folders.names("outbound") == []
    assert not Interchange.objects.exists() and not ShippingOrder.objects.exists()


def test_given_a_staging_that_fails_when_the_job_runs_then_the_upload_writes_the_file_itself(
    sftp_config, sftp_folders, posted_order, monkeypatch, caplog
):
    posted_order("WEB-STAGE")

    def quota_exceeded(client, folder, name, content):
        raise TransientError(f"SFTP staging of {name}: quota exceeded", code="connection")

    monkeypatch.setattr(SftpClient, "stage", quota_exceeded)
    interchange = send_and_upload_shipping_orders(sftp_config.partner_id)

    interchange.transaction.refresh_from_db()
    assert interchange.transaction.state == TransactionState.SUCCEEDED
    assert sftp_folders.names("outbound") == [interchange.file_name]
    on_server = (sftp_folders.path("outbound") / interchange.file_name).read_bytes()
    assert on_server == bytes(interchange.content)
    assert (
        "staging the 940 failed, uploading it whole: SFTP staging of 940_000000001.edi: "
        "quota exceeded" in caplog.messages
    )


def test_given_sftp_settings_that_cannot_work_when_the_job_runs_then_the_upload_fails_visibly(
    config, posted_order, published, django_capture_on_commit_callbacks
):
    posted_order("WEB-NOKEY")
    config.sftp_password = ""  # and no private key either
    config.save()

    with django_capture_on_commit_callbacks(execute=True):
        interchange = send_and_upload_shipping_orders(config.partner_id)

    tx = interchange.transaction
    assert published == [("syncplatform.audit.tasks.run_transaction_task", [tx.pk])]
    tx = run_transaction(tx.pk, upload_interchange)
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "no_auth")
    assert statuses() == [ShippingOrderStatus.PENDING]
