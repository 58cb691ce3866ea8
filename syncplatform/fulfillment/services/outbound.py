"""Files we send to warehouses: 940 shipping orders in batches, and 997 acknowledgments."""

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings

from connectors.edi.ack997 import write_997
from connectors.errors import ConfigError
from connectors.sftp import RemoteFolder, SftpClient
from syncplatform.audit.batches import build_batch, send_batch_file
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, Schedule, transaction_kind
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.partners.choices import PartnerKind

from ..choices import EDI_940_OUT, EDI_997_OUT, AckState
from ..models import Interchange, WarehouseConfig
from .connections import envelope_for, next_control_number, sftp_endpoint_for
from .files import store_outbound
from .shipping_order_batch import ShippingOrderBatch

logger = logging.getLogger(__name__)

# Files wait on a warehouse's SFTP server: a few tries over about 15 minutes, then a person.
FILE_RETRIES = RetryDefaults(5, (30, 120, 600))


def send_shipping_orders(warehouse_id: int, *, limit: int | None = None) -> Interchange | None:
    """Batch every waiting order of one warehouse into one 940 interchange and queue its upload.

    The orders are locked (``skip_locked``, in primary-key order) while their
    shipping orders, the interchange with its bytes and the upload transaction
    are stored in one database transaction, so two concurrent runs never send
    an order twice. The bytes are fixed here: a retried upload sends exactly
    the same file. Returns None when nothing was waiting.
    """
    config = WarehouseConfig.objects.select_related("partner").get(partner_id=warehouse_id)
    return build_batch(ShippingOrderBatch(config), limit or settings.SYNC_940_BATCH_SIZE)


def send_and_upload_shipping_orders(
    warehouse_id: int, *, limit: int | None = None
) -> Interchange | None:
    """The scheduled 940 job: ``send_shipping_orders``, then the upload in this same job.

    The SFTP side runs in a second thread beside the build: it opens the session
    as soon as the batch has orders (some 0.1 s, nearly all of it waiting for
    the server's key exchange and login), and writes the file under its hidden
    temporary name (``SftpClient.stage``) while the batch commits; nothing
    waiting means no connection. After the commit the upload runs as the upload
    transaction's first attempt, through the runner like any other, and only
    has to rename the file: a failure, including one to connect, is recorded on
    that transaction and retried from the queue. A batch that does not commit
    leaves no file: closing the session removes the temporary. The upload is
    not published as well, which would race this job for the row; if this
    process dies before its attempt, the sweeper publishes the ``received``
    transaction. SFTP settings that cannot work at all take the queued path of
    ``send_shipping_orders``, whose upload then fails naming them. Returns the
    interchange, None when nothing was waiting.
    """
    config = WarehouseConfig.objects.select_related("partner").get(partner_id=warehouse_id)
    limit = limit or settings.SYNC_940_BATCH_SIZE
    try:
        client = SftpClient(sftp_endpoint_for(config))
    except ConfigError:
        # SFTP settings that cannot work (no host, no key, a malformed known_hosts):
        # the batch is still built, and its queued upload fails naming the setting,
        # where operations look for failures.
        return build_batch(ShippingOrderBatch(config), limit)
    connecting: list[Future] = []
    staging: list[Future] = []
    batch = ShippingOrderBatch(config, client)
    try:
        # One thread, so the session is never used by two at once: it connects, then stages.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="940-sftp") as sftp:
            interchange = build_batch(
                batch,
                limit,
                publish=False,
                once_locked=lambda: connecting.append(sftp.submit(client.connect)),
                once_written=lambda file, content: staging.append(
                    sftp.submit(client.stage, RemoteFolder.OUTBOUND, file.file_name, content)
                ),
            )
        # Leaving the pool waited for the connection and the staging.
        if interchange is not None:

            def first_attempt(tx):
                _wait_until_connected(connecting, staging)
                return send_batch_file(batch, interchange)

            run_transaction(interchange.transaction_id, first_attempt)
    finally:
        client.close()
    return interchange


def _wait_until_connected(connecting: list[Future], staging: list[Future]) -> None:
    """Raises the job's connection error inside the upload attempt."""
    connecting[0].result()
    if staging and staging[0].exception() is not None:
        # Not the upload's failure: the put writes the file itself.
        logger.warning("staging the 940 failed, uploading it whole: %s", staging[0].exception())


def queue_997(config: WarehouseConfig, ack, acknowledges: Interchange) -> Interchange:
    """Store a 997 for a received group and queue its upload (inside the caller's transaction)."""
    number = next_control_number(config.partner)
    content = write_997(ack, envelope_for(config, number))
    return store_outbound(
        config,
        f"997_{number:09d}.edi",
        content,
        number,
        ["997"],
        EDI_997_OUT,
        ack=AckState.NOT_EXPECTED,
        note=f"acknowledges {acknowledges.file_name}",
        acknowledges=acknowledges,
        acknowledged_group=ack.group_control_number,
    )


@transaction_kind(
    EDI_940_OUT,
    description="940 shipping orders to a warehouse",
    lane=Lane.BATCH,
    subject="fulfillment.Interchange",
    retry=FILE_RETRIES,
    schedule=Schedule(
        key=EDI_940_OUT,
        job=send_and_upload_shipping_orders,
        every_seconds=300,
        name="send 940s to {partner}",
        per_partner=PartnerKind.WAREHOUSE,
        description="Batches the warehouse's posted orders into one 940 and uploads it.",
    ),
)
@transaction_kind(
    EDI_997_OUT,
    description="997 acknowledgment to a warehouse",
    lane=Lane.BATCH,
    subject="fulfillment.Interchange",
    retry=FILE_RETRIES,
)
def upload_interchange(tx: SyncTransaction) -> Outcome:
    """Upload a stored outbound file (940 or 997) to the warehouse's outbound folder.

    Idempotent: the SFTP connector treats the same name with the same bytes as
    done, so a retry after a lost connection never makes a second file.
    """
    interchange = Interchange.objects.select_related("partner").get(pk=tx.subject_id)
    config = WarehouseConfig.objects.get(partner=interchange.partner)
    return send_batch_file(ShippingOrderBatch(config), interchange)
