"""A poll that cannot take files ends visible: one failed transaction, retried by a person."""

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.fulfillment.choices import EDI_POLL, Direction
from syncplatform.fulfillment.models import Interchange
from syncplatform.fulfillment.services import poll_warehouse, retry_poll
from tests.fulfillment.fulfillment_files import file_945, shipping_advice
from tests.support.sftp import pin_another_host_key


def test_given_a_changed_host_key_when_polled_twice_then_one_failed_poll_and_no_file_taken(
    sftp_config, sftp_folders, sent_orders
):
    [order] = sent_orders("WEB-POLL")
    sftp_folders.drop("945_p.edi", file_945([shipping_advice(order)], 571))
    pinned = pin_another_host_key(sftp_config)

    assert poll_warehouse(sftp_config.partner_id) == 0
    assert poll_warehouse(sftp_config.partner_id) == 0

    [failed] = SyncTransaction.objects.filter(kind=EDI_POLL)
    assert (failed.state, failed.last_error_code) == (TransactionState.FAILED, "host_key_mismatch")
    assert failed.business_key == "demo-3pl inbound"
    assert not Interchange.objects.filter(direction=Direction.INBOUND).exists()
    assert sftp_folders.names("inbound") == ["945_p.edi"]

    sftp_config.sftp_known_hosts = pinned
    sftp_config.save()
    replay_transaction(failed.pk, actor=None, reason="host key fixed")
    tx = run_transaction(failed.pk, retry_poll)

    assert tx.state == TransactionState.SUCCEEDED
    assert tx.events.last().message == "demo-3pl inbound polled: 1 file(s) taken"
    assert sftp_folders.names("archive") == ["945_p.edi"]
    order.refresh_from_db()
    assert order.status == "shipped"
