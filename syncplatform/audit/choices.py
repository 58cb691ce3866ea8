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


class TransactionKind(models.TextChoices):
    """What crossed the boundary. Names read ``<system>.<document>.<direction or verb>``."""

    ERP_ORDER_POST = "erp.order.post", "ERP sales order posting"
    EDI_940_OUT = "edi.940.out", "940 shipping orders to a warehouse"
    EDI_997_OUT = "edi.997.out", "997 acknowledgment to a warehouse"
    EDI_945_IN = "edi.945.in", "945 shipping advice from a warehouse"
    EDI_846_IN = "edi.846.in", "846 inventory advice from a warehouse"
    EDI_997_IN = "edi.997.in", "997 acknowledgment from a warehouse"
    EDI_FILE_IN = "edi.file.in", "Unreadable or unknown file from a warehouse"
    EDI_997_OVERDUE = "edi.997.overdue", "Expected 997 not received in time"
    EDI_POLL = "edi.inbound.poll", "Polling a warehouse's inbound folder"


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
