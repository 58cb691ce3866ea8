from django.db import models


class TransactionState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    RESOLVED = "resolved", "Resolved"


# A worker may claim these (PROCESSING only once its lease has expired).
RUNNABLE_STATES = (TransactionState.RECEIVED, TransactionState.RETRYING)
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
    NOTE = "note", "Note"
