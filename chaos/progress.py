"""The backlog, sampled every second while the run goes on.

A sample counts the orders stored, posted to the ERP (an ERP document number)
and shipped (the warehouse's 945 applied). The backlog is every stored order
not yet shipped: an order leaves it only once it was posted, sent in a 940,
shipped by the warehouse and its 945 taken from SFTP and applied, so it
covers the whole flow. The backlog is clear when the intake has finished and
it is empty; the run times that from the end of the last fault, and also the
moment every stored order had been posted.
"""

import threading
from dataclasses import dataclass

from django.db.models import Count, Q

from chaos.faults import query

PRINT_EVERY_SECONDS = 15


@dataclass(frozen=True)
class Sample:
    at: float
    stored: int
    posted: int
    shipped: int


def count_orders() -> dict[str, int]:
    from syncplatform.orders.choices import OrderStatus
    from syncplatform.orders.models import Order

    return Order.objects.aggregate(
        stored=Count("id"),
        posted=Count("id", filter=~Q(erp_document_number="")),
        shipped=Count("id", filter=Q(status=OrderStatus.SHIPPED)),
    )


class Progress:
    """A thread that samples the counts every second and prints a line every 15 s."""

    def __init__(self, *, clock, load=None):
        self.load, self.clock = load, clock
        self.samples: list[Sample] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="chaos-progress", daemon=True)
        self._last_print = -PRINT_EVERY_SECONDS

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(30)

    def latest(self) -> Sample | None:
        return self.samples[-1] if self.samples else None

    def waiting(self) -> int:
        """Stored orders not yet posted, at the last sample."""
        sample = self.latest()
        return 0 if sample is None else sample.stored - sample.posted

    def _sample(self) -> None:
        while not self._stopping.wait(1.0):
            counts = query(count_orders)
            if counts is None:
                continue
            sample = Sample(self.clock(), **counts)
            self.samples.append(sample)
            if sample.at - self._last_print >= PRINT_EVERY_SECONDS:
                self._last_print = sample.at
                self._print(sample)

    def _print(self, sample: Sample) -> None:
        errors = sum(
            1 for s in self.load.submissions for answer in s.answers if answer.is_server_error
        )
        print(
            f"[{sample.at:5.0f} s] accepted {self.load.accepted:,}/{len(self.load.submissions):,}"
            f"  stored {sample.stored:,}  posted {sample.posted:,}  shipped {sample.shipped:,}"
            f"  5xx {errors}",
            flush=True,
        )


def cleared_at(samples: list[Sample], *, after: float, field: str) -> float | None:
    """When, at or after ``after``, every stored order had reached ``field``; None if never."""
    for sample in samples:
        if sample.at >= after and sample.stored and getattr(sample, field) == sample.stored:
            return sample.at
    return None
