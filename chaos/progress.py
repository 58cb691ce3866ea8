"""The backlog, sampled every second while the run goes on.

A sample counts the orders stored, posted to the ERP (an ERP document number)
and shipped (the warehouse's 945 applied). The backlog is every stored order
not yet shipped: an order leaves it only once it was posted, sent in a 940,
shipped by the warehouse and its 945 taken from SFTP and applied, so it
covers the whole flow.

Once the last fault has ended, the run marks the backlog it left: every order
stored by then (the highest order id at the first sample after it). The
samples from then on also count those orders posted and shipped, so the run
can time when the faults' backlog cleared apart from the orders the channels
kept sending afterwards.
"""

import threading
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from chaos.faults import query

PRINT_EVERY_SECONDS = 15


@dataclass(frozen=True)
class Sample:
    at: float
    stored: int
    posted: int
    shipped: int
    # The orders stored when the backlog was marked (0 before), and how many have gone on.
    marked: int = 0
    marked_posted: int = 0
    marked_shipped: int = 0


def count_orders(marked_up_to: int | None = None) -> dict[str, int]:
    """Orders stored, posted and shipped; with a mark, the same of the orders up to that id."""
    from syncplatform.orders.choices import OrderStatus
    from syncplatform.orders.models import Order

    posted, shipped = ~Q(erp_document_number=""), Q(status=OrderStatus.SHIPPED)
    counts = {
        "stored": Count("id"),
        "posted": Count("id", filter=posted),
        "shipped": Count("id", filter=shipped),
    }
    if marked_up_to is not None:
        marked = Q(id__lte=marked_up_to)
        counts |= {
            "marked": Count("id", filter=marked),
            "marked_posted": Count("id", filter=marked & posted),
            "marked_shipped": Count("id", filter=marked & shipped),
        }
    return Order.objects.aggregate(**counts)


def highest_order_id() -> int:
    from syncplatform.orders.models import Order

    return Order.objects.aggregate(highest=Max("id"))["highest"] or 0


class Progress:
    """A thread that samples the counts every second and prints a line every 15 s."""

    def __init__(self, *, clock, load=None):
        self.load, self.clock = load, clock
        self.samples: list[Sample] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="chaos-progress", daemon=True)
        self._last_print = -PRINT_EVERY_SECONDS
        self._mark_wanted = threading.Event()
        self.marked_up_to: int | None = None  # the highest order id stored at the mark

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(30)

    def mark_backlog(self) -> None:
        """Mark the orders stored by now as the backlog, at the next sample the database answers."""
        self._mark_wanted.set()

    def latest(self) -> Sample | None:
        return self.samples[-1] if self.samples else None

    def waiting(self) -> int:
        """Stored orders not yet posted, at the last sample."""
        sample = self.latest()
        return 0 if sample is None else sample.stored - sample.posted

    def _sample(self) -> None:
        while not self._stopping.wait(1.0):
            if self._mark_wanted.is_set() and self.marked_up_to is None:
                # After a PostgreSQL restart this waits until the database answers;
                # nothing can be stored meanwhile, so the mark is still the fault's.
                self.marked_up_to = query(highest_order_id)
            counts = query(lambda: count_orders(self.marked_up_to))
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


def cleared_at(
    samples: list[Sample], *, after: float, field: str, of: str = "stored"
) -> float | None:
    """When, at or after ``after``, all of ``of`` had reached ``field``; None if never.

    ``of="stored"`` with ``field="shipped"``: every stored order shipped;
    ``of="marked"`` with ``field="marked_shipped"``: every order of the marked backlog.
    """
    for sample in samples:
        if (
            sample.at >= after
            and getattr(sample, of)
            and getattr(sample, field) == getattr(sample, of)
        ):
            return sample.at
    return None
