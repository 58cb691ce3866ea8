"""The rows a gate keeps in the database: its breaker, its in-flight slots, its waiters.

One ``Breaker`` per gate target (e.g. one per ERP endpoint) is the lock every
admission and release of that target takes, so the cap, the FIFO queue and the
breaker's state change together across every worker process and host.
"""

from django.db import models

from .choices import BreakerState


class Breaker(models.Model):
    """A gate target's circuit breaker, and the row its slots and waiters hang from."""

    key = models.CharField(max_length=80, unique=True)
    label = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED, editable=False
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    # The one transaction let through while half-open.
    probe_transaction_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    slot_count = models.PositiveIntegerField(default=0, editable=False)
    # Raised by every admission, release or wake that goes the general way (audit.gates),
    # that is every change to the queue and every slot handed over; the one-statement
    # admit and release compare it with what their statement's snapshot saw.
    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "circuit breaker"

    def __str__(self):
        return f"{self.label or self.key}: {self.get_state_display()}"


class GateSlot(models.Model):
    """One in-flight place at a target; ``holder_id`` holds it until ``lease_until``.

    A worker killed while holding a slot leaves it to expire with its lease.
    """

    # The (breaker, number) constraint's index serves look-ups by breaker.
    breaker = models.ForeignKey(
        Breaker, on_delete=models.CASCADE, related_name="slots", db_index=False
    )
    number = models.PositiveIntegerField()
    # Not indexed, on purpose: every posting takes a slot and frees it, and with no
    # index on the columns those two updates change PostgreSQL updates the row in
    # place (HOT) instead of adding a row version and index entries each time, so the
    # table stays a page or two at peak. The slots are few (the endpoints' caps
    # together), so finding a holder's reads them all.
    holder_id = models.PositiveBigIntegerField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["breaker", "number"], name="gate_slot_number_uniq")
        ]

    def __str__(self):
        return f"slot {self.number} of {self.breaker_id}: {self.holder_id or 'free'}"


class GateWaiter(models.Model):
    """A transaction waiting for a slot at a target; the lowest id goes first."""

    breaker = models.ForeignKey(Breaker, on_delete=models.CASCADE, related_name="waiters")
    transaction_id = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=40)
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"transaction {self.transaction_id} waiting at {self.breaker_id}"
