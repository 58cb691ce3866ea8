"""One inbound poll per warehouse at a time, and a file taken by someone else is skipped quietly.

An outside run with batch concurrency 2 and a slow file had two polls of one
warehouse download the same file, store it twice and then crash.
"""

import threading

from syncplatform.audit.models import SyncTransaction
from syncplatform.core.locks import try_exclusive
from syncplatform.fulfillment.choices import Direction
from syncplatform.fulfillment.models import Interchange
from syncplatform.fulfillment.services import poll_warehouse
from tests.fulfillment.fulfillment_files import file_945, shipping_advice


class PollInProgress:
    """Another worker's poll of the warehouse: holds its lock from a second thread (connection)."""

    def __init__(self, warehouse_id: int):
        self.warehouse_id = warehouse_id
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        from django.db import connection

        try:
            with try_exclusive("inbound-poll", self.warehouse_id) as is_ours:
                assert is_ours
                self.holding.set()
                self.release.wait(30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.holding.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def test_given_a_poll_running_when_a_second_poll_starts_then_it_takes_nothing(
    transactional_db, sftp_config, sftp_folders, sent_orders
):
    [order] = sent_orders("WEB-LOCK")
    sftp_folders.drop("945_lock.edi", file_945([shipping_advice(order)], 731))

    with PollInProgress(sftp_config.partner_id):
        assert poll_warehouse(sftp_config.partner_id) == 0
        assert sftp_folders.names("inbound") == ["945_lock.edi"]
        assert not Interchange.objects.filter(direction=Direction.INBOUND).exists()

    # once the other poll is over, the next one takes the file, once
    assert poll_warehouse(sftp_config.partner_id) == 1
    assert Interchange.objects.filter(direction=Direction.INBOUND).count() == 1
    assert sftp_folders.names("archive") == ["945_lock.edi"]


def test_given_a_file_gone_between_listing_and_download_then_it_is_skipped_quietly(
    sftp_config, sftp_folders, sent_orders, monkeypatch
):
    [order] = sent_orders("WEB-GONE")
    sftp_folders.drop("945_gone.edi", file_945([shipping_advice(order)], 741))
    sftp_folders.drop("945_kept.edi", file_945([shipping_advice(order)], 742))
    from connectors.sftp import SftpClient

    listed = SftpClient.list_ready

    def list_then_lose_one(self, *args, **kwargs):
        ready = list(listed(self, *args, **kwargs))
        sftp_folders.path("inbound").joinpath("945_gone.edi").unlink()  # taken by hand
        return ready

    monkeypatch.setattr(SftpClient, "list_ready", list_then_lose_one)

    assert poll_warehouse(sftp_config.partner_id) == 1

    [taken] = Interchange.objects.filter(direction=Direction.INBOUND)
    assert taken.file_name == "945_kept.edi"
    assert not SyncTransaction.objects.filter(kind="edi.inbound.poll").exists()
