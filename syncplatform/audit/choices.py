from django.db import models


class TransactionState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    RETRYING = "retrying", "Retrying"
    # Held back by its kind's gate (no free in-flight slot, or the partner's breaker
    # is open) without spending an attempt; the gate publishes it when its turn comes.
    WAITING = "waiting", "Waiting (gate)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    RESOLVED = "resolved", "Resolved"


# A worker may claim these (PROCESSING only once its lease has expired).
# WAITING rows are claimable, but their gate lets them through only in turn.
RUNNABLE_STATES = (TransactionState.RECEIVED, TransactionState.RETRYING, TransactionState.WAITING)
TERMINAL_STATES = (TransactionState.SUCCEEDED, TransactionState.RESOLVED)
NEEDS_PERSON_STATES = (TransactionState.FAILED,)


class EventKind(models.TextChoices):
    RECEIVED = "received", "Received"
    ATTEMPT_STARTED = "attempt.started", "Attempt started"
    ATTEMPT_SUCCEEDED = "attempt.succeeded", "Attempt succeeded"
    ATTEMPT_FAILED = "attempt.failed", "Attempt failed"
    RETRY_SCHEDULED = "retry.scheduled", "Retry scheduled"
    FAILED = "failed", "Failed"
    LEASE_EXPIRED = "lease.expired", "Lease expired (worker lost)"
    REPLAYED = "replayed", "Replayed by operator"
    RESOLVED = "resolved", "Resolved by operator"
    SKIPPED = "skipped", "Skipped (duplicate)"
    HELD = "held", "Held back (in-flight cap or breaker)"
    NOTE = "note", "Note"


class BreakerState(models.TextChoices):
    """A gate's circuit breaker (DESIGN §4): closed lets work through, open holds it back."""

    CLOSED = "closed", "Closed"
    OPEN = "open", "Open (holding postings back)"
    HALF_OPEN = "half_open", "Half-open (one probe in flight)"
