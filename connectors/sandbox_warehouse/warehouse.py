"""The simulated 3PL: answers 940s with a 997 and a 945, and reports stock in 846s.

It works on the SFTP root on the local disk (the server and the warehouse
share the folder, as a real 3PL's back end shares its SFTP server's disk):

- ``outbound/`` holds what the platform sends (940s, its 997s). Dot-files are
  upload temporaries and are ignored; the platform renames a file into place
  only when it is complete. Each file read is moved to ``outbound/processed/``,
  or to ``outbound/rejected/`` when its envelope is broken (answered with a
  997 rejecting the group when its ISA and GS can still be read, otherwise
  only logged).
- ``inbound/`` receives the warehouse's files, each appearing atomically
  (see ``drop_box``): ``997_<ISA13>.edi``, ``945_<ISA13>.edi``, ``846_<ISA13>.edi``.

For each functional group of a 940 interchange it writes one 997, its own
interchange, from the identities the 940 was addressed to back to its sender
(ISA05/06 <-> ISA07/08, GS02 <-> GS03), in the group's version and usage
indicator. Sets that fail to read are rejected in the 997 with their AK3/AK4
notes; the accepted ones are shipped ``ship_delay`` seconds later, in one 945
interchange per group, one 945 set per 940 set (see ``shipments``). Orders
whose W0501 cancels them are acknowledged, never shipped, and stop an
earlier order of the same depositor order number that has not shipped yet.
An interchange already answered (same sender and ISA13) is not answered
again. 997s from the platform are read and logged.

Every ``inventory_every`` seconds it writes an 846 listing every product it
has seen in a 940 plus the seed list, ``starting_stock`` minus what it
shipped, from its own identity to the configured partner identity.
"""

import logging
import threading
import time
from pathlib import Path

from connectors.edi import (
    EnvelopeError,
    FunctionalAck,
    FunctionalGroup,
    Interchange,
    ShippingOrder,
    build_997,
    read_940,
    read_group,
    read_interchanges,
    write_945,
    write_997,
)
from connectors.edi.rejection import rejection_for_unreadable
from connectors.sandbox_warehouse.drop_box import deliver, set_aside
from connectors.sandbox_warehouse.inventory import StockedProduct, StockLevel, write_846
from connectors.sandbox_warehouse.ledger import PendingShipment, WarehouseLedger
from connectors.sandbox_warehouse.reply_envelopes import (
    interchange_key,
    readable_headers,
    reply_to,
    reply_to_headers,
    unsolicited,
)
from connectors.sandbox_warehouse.settings import WarehouseSettings
from connectors.sandbox_warehouse.shipments import (
    Shipment,
    carrier_for,
    is_cancellation,
    ship_order,
)

log = logging.getLogger(__name__)

EXCHANGE_FOLDERS = ("outbound", "inbound", "archive", "error")
PROCESSED, REJECTED = "processed", "rejected"
ACKNOWLEDGMENT_GROUP = "FA"
# Only 940s are orders to a warehouse; any other set in a group is refused in the 997.
_ORDER_READERS = {"940": read_940}


def prepare_root(root: Path) -> None:
    """Create the four exchange folders under ``root`` (kept if present)."""
    for name in EXCHANGE_FOLDERS:
        (Path(root) / name).mkdir(parents=True, exist_ok=True)


class SimulatedWarehouse:
    """Polls ``root/outbound`` and answers into ``root/inbound``; state in ``state_folder``.

    ``run_once`` does one poll (tests call it directly); ``start``/``stop`` run
    the polls on a thread every ``poll_seconds``.
    """

    def __init__(
        self, root: Path, state_folder: Path, settings: WarehouseSettings, *, clock=time.time
    ):
        self.root = Path(root)
        self.outbound = self.root / "outbound"
        self.inbound = self.root / "inbound"
        self.settings = settings
        self.clock = clock
        prepare_root(self.root)
        Path(state_folder).mkdir(parents=True, exist_ok=True)
        self.ledger = WarehouseLedger.open(Path(state_folder))
        for product in settings.seed_products:
            self.ledger.remember_product(product)
        self._next_inventory_at = clock() + settings.inventory_every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._poll, name="sandbox-warehouse", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def run_once(self) -> None:
        """Read new outbound files, ship what is due, report stock when due."""
        for path in self._new_files():
            try:
                self._receive(path)
            except Exception:
                # Park the file, or every poll would fail on it again.
                log.exception("could not answer %s; moved to outbound/%s", path.name, REJECTED)
                set_aside(path, self.outbound / REJECTED)
        self._ship_due()
        self._report_inventory_if_due()

    def _poll(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:
                # A sandbox keeps serving: the error is logged and the poll retried.
                log.exception("warehouse poll failed")
            self._stopping.wait(self.settings.poll_seconds)

    def _new_files(self) -> list[Path]:
        files = [
            path
            for path in self.outbound.iterdir()
            if not path.name.startswith(".") and path.is_file() and not path.is_symlink()
        ]
        return sorted(files, key=lambda path: (path.stat().st_mtime, path.name))

    def _receive(self, path: Path) -> None:
        if path.stat().st_size > self.settings.max_file_bytes:
            log.warning("%s is over %d bytes: rejected", path.name, self.settings.max_file_bytes)
            set_aside(path, self.outbound / REJECTED)
            return
        content = path.read_bytes()
        try:
            interchanges = read_interchanges(content)
        except EnvelopeError as error:
            self._reject_unreadable(path, content, error)
            return
        to_ship = [
            interchange.control_number
            for interchange in interchanges
            if self._answer(path.name, interchange)
        ]
        kept = set_aside(path, self.outbound / PROCESSED)
        if to_ship:
            due_at = self.clock() + self.settings.ship_delay
            self.ledger.pending.append(
                PendingShipment(kept.relative_to(self.root).as_posix(), to_ship, due_at)
            )
        self.ledger.save()

    def _reject_unreadable(self, path: Path, content: bytes, error: EnvelopeError) -> None:
        """Reject a file with a broken envelope: a 997 when its ISA and GS say who to tell."""
        acknowledgment = rejection_for_unreadable(content, error)
        headers = readable_headers(content)
        if acknowledgment is not None and headers is not None:
            number = self.ledger.next_control_number()
            envelope = reply_to_headers(headers, number, acknowledgment.version)
            deliver(self.inbound, f"997_{number:09d}.edi", write_997(acknowledgment, envelope))
            log.warning("%s rejected in 997_%09d.edi: %s", path.name, number, error)
        else:
            log.warning("%s is unreadable, nobody to answer: %s", path.name, error)
        set_aside(path, self.outbound / REJECTED)

    def _answer(self, file_name: str, interchange: Interchange) -> bool:
        """Acknowledge an interchange's groups once; True when it has orders to ship."""
        key = interchange_key(interchange)
        if key in self.ledger.answered:
            log.info("%s: interchange %s was answered before", file_name, key)
            return False
        if interchange.receiver_id != self.settings.identity.id:
            log.warning(
                "%s is addressed to %s, not %s; answering anyway",
                file_name,
                interchange.receiver_id,
                self.settings.identity.id,
            )
        has_orders = False
        for group in interchange.groups:
            if group.functional_id == ACKNOWLEDGMENT_GROUP:
                self._note_acknowledgments(file_name, group)
            else:
                has_orders |= self._acknowledge(file_name, interchange, group)
        self.ledger.answered.append(key)
        return has_orders

    def _acknowledge(
        self, file_name: str, interchange: Interchange, group: FunctionalGroup
    ) -> bool:
        results = read_group(group, _ORDER_READERS)
        acknowledgment = build_997(group, results)
        number = self.ledger.next_control_number()
        deliver(
            self.inbound,
            f"997_{number:09d}.edi",
            write_997(acknowledgment, reply_to(interchange, group, number)),
        )
        log.info(
            "%s: group %s acknowledged %s (%d of %d sets accepted) in 997_%09d.edi",
            file_name,
            group.control_number,
            acknowledgment.status,
            acknowledgment.sets_accepted,
            acknowledgment.sets_received,
            number,
        )
        shippable = [self._take_order(result.document) for result in results if result.is_accepted]
        return any(shippable)

    def _take_order(self, order: ShippingOrder) -> bool:
        """Note the order's products and any cancellation; True when it is to ship."""
        for line in order.lines:
            self.ledger.remember_product(StockedProduct.of_line(line))
        number = order.depositor_order_number
        if is_cancellation(order):
            log.info("order %s cancelled (W0501 %s)", number, order.status)
            if number not in self.ledger.cancelled:
                self.ledger.cancelled.append(number)
            return False
        if number in self.ledger.cancelled:
            self.ledger.cancelled.remove(number)  # sent again after a cancellation
        return True

    def _note_acknowledgments(self, file_name: str, group: FunctionalGroup) -> None:
        for result in read_group(group):
            if isinstance(result.document, FunctionalAck):
                ack = result.document
                log.info(
                    "%s: the platform acknowledged our group %s (%s) with %s",
                    file_name,
                    ack.group_control_number,
                    ack.functional_id,
                    ack.status,
                )
            else:
                log.warning("%s: unreadable 997: %s", file_name, result.error)

    def _ship_due(self) -> None:
        now = self.clock()
        for entry in [entry for entry in self.ledger.pending if entry.due_at <= now]:
            try:
                self._ship(entry)
            except (OSError, EnvelopeError) as exc:
                log.error("could not ship %s: %s", entry.file, exc)
            self.ledger.pending.remove(entry)
            self.ledger.save()

    def _ship(self, entry: PendingShipment) -> None:
        for interchange in read_interchanges((self.root / entry.file).read_bytes()):
            if interchange.control_number not in entry.interchanges:
                continue
            for group in interchange.groups:
                if group.functional_id == ACKNOWLEDGMENT_GROUP:
                    continue
                orders = [
                    result.document
                    for result in read_group(group, _ORDER_READERS)
                    if result.is_accepted and self._still_to_ship(result.document)
                ]
                if orders:
                    self._send_shipping_advice(interchange, group, orders)

    def _still_to_ship(self, order: ShippingOrder) -> bool:
        return not is_cancellation(order) and (
            order.depositor_order_number not in self.ledger.cancelled
        )

    def _send_shipping_advice(
        self, interchange: Interchange, group: FunctionalGroup, orders: list[ShippingOrder]
    ) -> None:
        number = self.ledger.next_control_number()
        envelope = reply_to(interchange, group, number)
        advices = []
        for index, order in enumerate(orders, start=1):
            carrier = carrier_for(order, self.settings.carrier)
            shipment = Shipment(
                shipment_id=f"BOL{number:09d}{index:03d}",
                tracking_number=f"{carrier.scac}{number:09d}{index:03d}",
                shipped_on=envelope.prepared_at.date(),
                carrier=carrier,
            )
            advices.append(ship_order(order, shipment, self.settings.short_share))
        deliver(self.inbound, f"945_{number:09d}.edi", write_945(advices, envelope))
        for advice in advices:
            for line in advice.lines:
                self.ledger.record_shipped(StockedProduct.of_line(line), line.quantity_shipped)
        log.info(
            "shipped %s in 945_%09d.edi",
            ", ".join(order.depositor_order_number for order in orders),
            number,
        )

    def _report_inventory_if_due(self) -> None:
        every = self.settings.inventory_every
        if not every or self.clock() < self._next_inventory_at:
            return
        self._next_inventory_at = self.clock() + every
        if not self.ledger.products:
            return
        levels = [
            StockLevel(product, self.settings.starting_stock - self.ledger.shipped.get(key, 0))
            for key, product in sorted(self.ledger.products.items())
        ]
        number = self.ledger.next_control_number()
        settings = self.settings
        envelope = unsolicited(settings.identity, settings.partner, number, settings.version)
        content = write_846(
            levels,
            envelope,
            report_number=f"INV{number:09d}",
            warehouse_name=self.settings.warehouse_name,
        )
        deliver(self.inbound, f"846_{number:09d}.edi", content)
        log.info("reported stock of %d products in 846_%09d.edi", len(levels), number)
