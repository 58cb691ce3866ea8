"""The 940 as an outbound batch: a warehouse's posted orders, one shipping order each.

``ShippingOrderBatch`` supplies the 940's parts to ``audit.batches.build_batch``
(lock, number, build, store, send); the measured tricks that keep a
10,000-order batch inside its target live here, each with its figure.
"""

import hashlib
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from connectors.edi.w940 import write_940
from connectors.sftp import RemoteFolder, SftpClient
from syncplatform.orders.reads import posted_orders_routed_to

from ..choices import EDI_940_OUT, AckState, ShippingOrderStatus
from ..models import Interchange, ShippingOrder, WarehouseConfig
from .arrays import any_of, array_literal
from .connections import (
    envelope_for,
    next_control_number,
    sftp_endpoint_for,
    warehouse_reachable,
)
from .documents import OrderRow, shipping_order_documents
from .files import store_outbound


class ShippingOrderBatch:
    """One warehouse's 940s. ``client``: an SFTP session the caller opened, else one per send."""

    def __init__(self, config: WarehouseConfig, client: SftpClient | None = None):
        self.config, self.client = config, client

    def lock_pending(self, limit: int) -> list[OrderRow]:
        return _lock_waiting_orders(self.config.partner, limit)

    def prepare(self, orders: Sequence[OrderRow]):
        # Reads the lines and mappings now; the documents are built as the writer takes them.
        return shipping_order_documents(orders)

    def next_number(self) -> int:
        return next_control_number(self.config.partner)

    def open_file(self, orders: Sequence[OrderRow], number: int, *, publish: bool) -> Interchange:
        config = self.config
        return store_outbound(
            config,
            f"940_{number:09d}.edi",
            b"",  # the bytes follow, once written
            number,
            ["940"] * len(orders),
            EDI_940_OUT,
            ack=AckState.PENDING if config.expects_997 else AckState.NOT_EXPECTED,
            publish=publish,
        )

    def write(self, documents, number: int) -> bytes:
        return write_940(documents, envelope_for(self.config, number), shares_parts=True)

    def attach_items(self, interchange: Interchange, orders: Sequence[OrderRow]) -> None:
        # Beside the writer thread: PostgreSQL stores 10,000 shipping orders and checks
        # their 20,000 foreign keys in about 0.3 s, as long as the writing takes.
        _store_shipping_orders(interchange, [order.pk for order in orders])
        _check_constraints_now()

    def store_bytes(self, interchange: Interchange, content: bytes) -> None:
        store_content(interchange, content)

    def send(self, interchange: Interchange) -> str:
        if self.client is not None:
            message = _put(self.client, interchange)
        else:
            with SftpClient(sftp_endpoint_for(self.config)) as client:
                message = _put(client, interchange)
        warehouse_reachable(self.config)
        return message

    def mark_sent(self, interchange: Interchange) -> None:
        interchange.mark_sent(self.config.ack_due_minutes)


def _put(client: SftpClient, interchange: Interchange) -> str:
    """Idempotent: the connector treats the same name with the same bytes as done."""
    receipt = client.put(RemoteFolder.OUTBOUND, interchange.file_name, bytes(interchange.content))
    how = "was already there" if receipt.was_already_present else "uploaded"
    return (
        f"{interchange.file_name} {how} ({receipt.file.size} bytes, sha256 {receipt.sha256[:12]}…)"
    )


def store_content(interchange: Interchange, content: bytes) -> None:
    interchange.content = content
    interchange.sha256 = hashlib.sha256(content).hexdigest()
    interchange.save(update_fields=["content", "sha256"])


def _lock_waiting_orders(warehouse, limit: int) -> list[OrderRow]:
    """Lock up to ``limit`` waiting orders (skipping rows another run holds): rows, in pk order.

    The locking SELECT filters on a snapshot taken when it started: a row that
    another run locked, sent and committed in the meantime is locked again
    here although it now has a shipping order. A fresh read under our locks
    drops those (nobody can send a row we hold); if that leaves nothing, look again.
    """
    while True:
        rows = (
            posted_orders_routed_to(warehouse)
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
