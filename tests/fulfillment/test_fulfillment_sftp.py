"""Uploads and polls through the real OpenSSH sshd: idempotent uploads, files moved by outcome.

Each test has its own folders under the SFTP root (``sftp_folders``) and plays
the warehouse by reading and writing them on disk.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.fulfillment.choices import (
    AckState,
    Direction,
    InterchangeState,
    ShippingOrderStatus,
)
from syncplatform.fulfillment.models import Interchange, Shipment, ShippingOrder
from syncplatform.fulfillment.services import poll_warehouse, receive_file, upload_interchange
from syncplatform.orders.choices import OrderStatus
from tests.fulfillment.fulfillment_files import file_945, outbound_997s, shipping_advice

BROKEN = b"ISA*00*this is not a usable interchange header at all"


def test_given_a_queued_940_when_uploaded_twice_then_one_file_and_the_second_was_already_there(
    sftp_config, sftp_folders, sent_orders
):
    [order] = sent_orders("WEB-UP")
    interchange = Interchange.objects.get(direction=Direction.OUTBOUND)

    before = timezone.now()
    tx = run_transaction(interchange.transaction_id, upload_interchange)
    after = timezone.now()

    assert tx.state == TransactionState.SUCCEEDED
    size = len(bytes(interchange.content))
    assert tx.events.last().message.startswith(f"940_000000001.edi uploaded ({size} bytes, sha256 ")
    assert sftp_folders.names("outbound") == ["940_000000001.edi"]
    sent = sftp_folders.path("outbound") / "940_000000001.edi"
    assert sent.read_bytes() == bytes(interchange.content)
    interchange.refresh_from_db()
    assert (interchange.state, interchange.ack_state) == (InterchangeState.SENT, AckState.PENDING)
    due = timedelta(minutes=sftp_config.ack_due_minutes)
    assert before + due <= interchange.ack_due_by <= after + due
    assert ShippingOrder.objects.get(order=order).status == ShippingOrderStatus.SENT

    again = upload_interchange(tx)  # a retry after the first outcome was lost

    assert again.message.startswith(f"940_000000001.edi was already there ({size} bytes, sha256 ")
    assert sftp_folders.names("outbound") == ["940_000000001.edi"]  # no copy, no temporary


def test_given_a_queued_997_when_uploaded_then_sent_and_no_acknowledgment_is_due(
    sftp_config, sftp_folders, sent_orders
):
    [order] = sent_orders("WEB-ACK")
    received = receive_file(sftp_config, "945_x.edi", file_945([shipping_advice(order)], 701))
    [ack_out] = outbound_997s(received)

    tx = run_transaction(ack_out.transaction_id, upload_interchange)

    assert tx.state == TransactionState.SUCCEEDED
    ack_out.refresh_from_db()
    assert (ack_out.state, ack_out.ack_due_by) == (InterchangeState.SENT, None)
    assert (sftp_folders.path("outbound") / ack_out.file_name).read_bytes() == bytes(
        ack_out.content
    )


def test_given_good_broken_and_hidden_files_when_polling_then_moved_by_outcome_dot_files_left(
    sftp_config, sftp_folders, sent_orders
):
    [order] = sent_orders("WEB-POLL")
    sftp_folders.drop("945_good.edi", file_945([shipping_advice(order)], 711))
    sftp_folders.drop("945_broken.edi", BROKEN)
    (sftp_folders.path("inbound") / ".945_still_writing.edi").write_bytes(b"ISA*00*")

    taken = poll_warehouse(sftp_config.partner_id)

    assert taken == 2
    assert sftp_folders.names("archive") == ["945_good.edi"]
    assert sftp_folders.names("error") == ["945_broken.edi"]
    assert sftp_folders.names("inbound") == [".945_still_writing.edi"]
    received = {i.file_name: i for i in Interchange.objects.filter(direction=Direction.INBOUND)}
    assert sorted(received) == ["945_broken.edi", "945_good.edi"]
    assert all(i.remote_disposed_at is not None for i in received.values())
    assert received["945_good.edi"].transaction.state == TransactionState.SUCCEEDED
    assert received["945_broken.edi"].transaction.state == TransactionState.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    assert poll_warehouse(sftp_config.partner_id) == 0
    assert Interchange.objects.filter(direction=Direction.INBOUND).count() == 2


@pytest.mark.parametrize(
    ("name", "good", "destination"),
    [("945_left.edi", True, "archive"), ("945_left_bad.edi", False, "error")],
)
def test_given_a_file_taken_whose_move_failed_when_polling_again_then_only_the_move_is_finished(
    sftp_config, sftp_folders, sent_orders, name, good, destination
):
    [order] = sent_orders("WEB-LEFT")
    content = file_945([shipping_advice(order)], 721) if good else BROKEN
    sftp_folders.drop(name, content)
    # The earlier poll stored and applied the file, then lost the connection before the move.
    first = receive_file(sftp_config, name, content)
    shipments, acks = Shipment.objects.count(), len(outbound_997s(first))

    assert poll_warehouse(sftp_config.partner_id) == 1

    assert sftp_folders.names(destination) == [name]
    assert sftp_folders.names("inbound") == []
    [stored] = Interchange.objects.filter(direction=Direction.INBOUND)
    assert stored.pk == first.pk
    assert stored.remote_disposed_at is not None
    assert stored.state == (InterchangeState.APPLIED if good else InterchangeState.FAILED)
    assert Shipment.objects.count() == shipments == (1 if good else 0)
    assert len(outbound_997s(first)) == acks == (1 if good else 0)
