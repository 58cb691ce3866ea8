"""Files we send to warehouses: 940 shipping orders in batches, and 997 acknowledgments."""

import gc
import hashlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from connectors.edi.ack997 import write_997
from connectors.edi.w940 import write_940
from connectors.errors import ConfigError
from connectors.sftp import RemoteFolder, SftpClient
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, Schedule, transaction_kind
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.services import open_transaction
from syncplatform.mappings.models import LocationMapping
from syncplatform.orders.choices import OrderStatus
from syncplatform.orders.models import Order
from syncplatform.partners.choices import PartnerKind

from ..choices import (
    EDI_940_OUT,
    EDI_997_OUT,
    AckState,
    Direction,
    InterchangeState,
    ShippingOrderStatus,
)
from ..models import Interchange, ShippingOrder, WarehouseConfig
from .arrays import any_of, array_literal
from .connections import envelope_for, next_control_number, sftp_endpoint_for
from .documents import OrderRow, shipping_order_documents

logger = logging.getLogger(__name__)

# Files wait on a warehouse's SFTP server: a few tries over about 15 minutes, then a person.
FILE_RETRIES = RetryDefaults(5, (30, 120, 600))


def orders_awaiting_shipping_order(warehouse):
    """Posted orders routed (by location mapping) to this warehouse and not sent yet."""
    routed = LocationMapping.objects.in_force().filter(
        channel=OuterRef("channel"),
        channel_location=OuterRef("fulfillment_location"),
        warehouse=warehouse,
    )
    return Order.objects.filter(
        Exists(routed), status=OrderStatus.POSTED, shipping_order__isnull=True
    )


def send_shipping_orders(warehouse_id: int, *, limit: int | None = None) -> Interchange | None:
    """Batch every waiting order of one warehouse into one 940 interchange and queue its upload.

    The orders are locked (``skip_locked``, in primary-key order) while their
    shipping orders, the interchange with its bytes and the upload transaction
    are stored in one database transaction, so two concurrent runs never send
    an order twice. The bytes are fixed here: a retried upload sends exactly
    the same file. Returns None when nothing was waiting.
    """
    config = WarehouseConfig.objects.select_related("partner").get(partner_id=warehouse_id)
    return _batch_shipping_orders(config, limit or settings.SYNC_940_BATCH_SIZE)


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
        return _batch_shipping_orders(config, limit)
    connecting: list[Future] = []
    staging: list[Future] = []
    try:
        # One thread, so the session is never used by two at once: it connects, then stages.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="940-sftp") as sftp:
            interchange = _batch_shipping_orders(
                config,
                limit,
                publish_upload=False,
                once_locked=lambda: connecting.append(sftp.submit(client.connect)),
                once_written=lambda name, content: staging.append(
                    sftp.submit(client.stage, RemoteFolder.OUTBOUND, name, content)
                ),
            )
        # Leaving the pool waited for the connection and the staging.
        if interchange is not None:
            run_transaction(
                interchange.transaction_id,
                lambda tx: _upload(interchange, config, _connected(client, connecting, staging)),
            )
    finally:
        client.close()
    return interchange


def _connected(client: SftpClient, connecting: list[Future], staging: list[Future]) -> SftpClient:
    """The job's session; raises its connection's error inside the upload attempt."""
    connecting[0].result()
    if staging and staging[0].exception() is not None:
        # Not the upload's failure: the put writes the file itself.
        logger.warning("staging the 940 failed, uploading it whole: %s", staging[0].exception())
    return client


def _batch_shipping_orders(
    config: WarehouseConfig,
    limit: int,
    *,
    publish_upload: bool = True,
    once_locked: Callable[[], object] | None = None,
    once_written: Callable[[str, bytes], object] | None = None,
) -> Interchange | None:
    """``send_shipping_orders``, with hooks called inside its transaction.

    ``once_locked()`` when the batch has orders; ``once_written(file name,
    bytes)`` once its file is written, before the bytes are stored and the
    batch commits. Neither may touch the database: the hooks hand work to
    another thread.
    """
    with transaction.atomic(), _cycle_collector_paused():
        orders = _lock_waiting_orders(config.partner, limit)
        if not orders:
            return None
        if once_locked is not None:
            once_locked()
        documents = shipping_order_documents(orders)
        number = next_control_number(config.partner)
        interchange = _store_outbound(
            config,
            f"940_{number:09d}.edi",
            b"",  # the bytes follow below, once written
            number,
            ["940"] * len(orders),
            EDI_940_OUT,
            ack=AckState.PENDING if config.expects_997 else AckState.NOT_EXPECTED,
            publish=publish_upload,
        )
        # The file is written in a second thread while this one stores the batch's rows
        # and has PostgreSQL check their 20,000 foreign keys: for 10,000 orders each
        # takes about 0.3 s, and they run side by side. The documents are built from
        # rows already read, so the writing thread never touches the database. The
        # small statements above come first: under the writer, each round trip of
        # this thread waited up to a GIL switch interval (5 ms) to resume.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="940-writer") as writer:
            written = writer.submit(
                write_940, documents, envelope_for(config, number), shares_parts=True
            )
            _store_shipping_orders(interchange, [order.pk for order in orders])
            _check_constraints_now()
            content = written.result()
            if once_written is not None:
                once_written(interchange.file_name, content)
            _store_content(interchange, content)
    logger.info(
        "queued %s with %d shipping orders for %s",
        interchange.file_name,
        len(orders),
        config.partner.code,
    )
    return interchange


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch is built.

    A 10,000-order batch allocates some 100,000 rows, lists and documents that
    hold no reference cycles; with the collector on, it scanned the process's
    heap again and again (80 ms of a 0.6 s build, measured). Reference counting
    still frees everything as usual; the collector resumes afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _lock_waiting_orders(warehouse, limit: int) -> list[OrderRow]:
    """Lock up to ``limit`` waiting orders (skipping rows another run holds): rows, in pk order.

    The locking SELECT filters on a snapshot taken when it started: a row that
    another run locked, sent and committed in the meantime is locked again
    here although it now has a shipping order. A fresh read under our locks
    drops those (nobody can send a row we hold); if that leaves nothing, look again.
    """
    while True:
        rows = (
            orders_awaiting_shipping_order(warehouse)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list(*OrderRow._fields)[:limit]
        )
        locked = list(map(OrderRow._make, rows))
        sent = set(
            ShippingOrder.objects.filter(
                order_id__in=any_of([order.pk for order in locked])
            ).values_list("order_id", flat=True)
        )
        waiting = [order for order in locked if order.pk not in sent]
        if waiting or not locked:
            return waiting


def _store_shipping_orders(interchange: Interchange, order_ids: list[int]) -> None:
    """A pending shipping order per order, numbered like the interchange's sets (0001, ...)."""
    now = timezone.now()
    numbers = interchange.set_control_numbers
    if connection.vendor != "postgresql":  # SQLite, the embedded default: no arrays
        ShippingOrder.objects.bulk_create(
            ShippingOrder(
                order_id=order_id,
                interchange_id=interchange.pk,
                set_control_number=number,
            )
            for order_id, number in zip(order_ids, numbers, strict=True)
        )
        return
    # One statement over two array parameters: bulk_create spent a second building
    # 10,000 model instances and VALUES rows that the database stores in 50 ms.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO fulfillment_shippingorder"
            " (order_id, set_control_number, interchange_id, status, created_at, updated_at)"
            " SELECT t.order_id, t.number, %s, %s, %s, %s"
            " FROM unnest(%s::bigint[], %s::varchar[]) AS t (order_id, number)",
            [
                interchange.pk,
                ShippingOrderStatus.PENDING,
                now,
                now,
                array_literal(order_ids),
                array_literal(numbers),
            ],
        )


def _check_constraints_now() -> None:
    """Have PostgreSQL check the foreign keys written so far now, not at commit.

    Django's ``check_constraints`` sets them immediate, then deferred again.
    SQLite's would read every table: there they wait for the commit.
    """
    if connection.vendor == "postgresql":
        connection.check_constraints()


def _store_content(interchange: Interchange, content: bytes) -> None:
    interchange.content = content
    interchange.sha256 = hashlib.sha256(content).hexdigest()
    interchange.save(update_fields=["content", "sha256"])


def queue_997(config: WarehouseConfig, ack, acknowledges: Interchange) -> Interchange:
    """Store a 997 for a received group and queue its upload (inside the caller's transaction)."""
    number = next_control_number(config.partner)
    content = write_997(ack, envelope_for(config, number))
    return _store_outbound(
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


def _store_outbound(
    config, file_name, content, number, set_types, kind, *, ack, note="", publish=True, **fields
) -> Interchange:
    interchange = Interchange.objects.create(
        direction=Direction.OUTBOUND,
        partner=config.partner,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        isa_control_number=f"{number:09d}",
        group_control_numbers=[str(number)],
        set_control_numbers=[f"{i:04d}" for i in range(1, len(set_types) + 1)],
        set_types=set_types,
        state=InterchangeState.PENDING,
        ack_state=ack,
        **fields,
    )
    interchange.transaction = open_transaction(
        kind=kind,
        partner=config.partner,
        business_key=file_name,
        correlation_id=f"interchange-{interchange.pk}",
        subject=interchange,
        message=f"{file_name} ({len(set_types)} set(s)) queued for {config.partner.code}"
        + (f"; {note}" if note else ""),
        publish=publish,
    )
    interchange.save(update_fields=["transaction"])
    return interchange


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
    """Upload a stored outbound file to the warehouse's outbound folder.

    Idempotent: the SFTP connector treats the same name with the same bytes as
    done, so a retry after a lost connection never makes a second file.
    """
    interchange = Interchange.objects.select_related("partner").get(pk=tx.subject_id)
    config = WarehouseConfig.objects.get(partner=interchange.partner)
    with SftpClient(sftp_endpoint_for(config)) as client:
        return _upload(interchange, config, client)


def _upload(interchange: Interchange, config: WarehouseConfig, client: SftpClient) -> Outcome:
    receipt = client.put(RemoteFolder.OUTBOUND, interchange.file_name, bytes(interchange.content))
    how = "was already there" if receipt.was_already_present else "uploaded"
    return Outcome(
        message=f"{interchange.file_name} {how} ({receipt.file.size} bytes, "
        f"sha256 {receipt.sha256[:12]}…)",
        apply=lambda: _mark_sent(interchange, config),
    )


def _mark_sent(interchange: Interchange, config: WarehouseConfig) -> None:
    interchange.mark_sent(config.ack_due_minutes)
