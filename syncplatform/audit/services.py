"""Operator and scheduler use cases on transactions."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import registry
from .choices import TransactionState
from .dispatch import enqueue_on_commit
from .models import SyncTransaction
from .registry import scheduled_job

logger = logging.getLogger(__name__)


def open_transaction(
    *,
    kind: str,
    partner,
    business_key: str,
    correlation_id: str,
    idempotency_key: str = "",
    subject=None,
    message: str,
    publish: bool = True,
) -> SyncTransaction:
    """Create a ``received`` transaction with its first event and publish it after commit.

    Call inside the database transaction that stores the business rows, so the
    job exists exactly when its data does. ``subject`` is the row it carries,
    of the model the kind declares.
    """
    declared = registry.kind(kind)
    if subject is not None and subject._meta.label != declared.subject:
        raise ValueError(f"{kind} carries {declared.subject}, not {subject._meta.label}")
    tx = SyncTransaction.objects.create(
        kind=kind,
        partner=partner,
        business_key=business_key,
        correlation_id=correlation_id,
        idempotency_key=idempotency_key,
        subject_id=subject.pk if subject is not None else None,
        next_attempt_at=timezone.now() + timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS),
    )
    tx.record_received(message)
    if publish:
        enqueue_on_commit(kind, tx.pk)
    return tx


def open_failed_transaction(
    *, kind: str, partner, business_key: str, code: str, message: str, subject=None
) -> SyncTransaction:
    """Record an exception someone must look at (e.g. an acknowledgment that never came).

    The transaction is created, attempted and failed in one go, so it lands in
    the admin's failed list with its full history; "retry now" re-checks it.
    """
    with transaction.atomic():
        tx = open_transaction(
            kind=kind,
            partner=partner,
            business_key=business_key,
            correlation_id=f"{kind}-{business_key}"[:64],
            subject=subject,
            message=message,
            publish=False,
        )
        tx.start_attempt(settings.SYNC_LEASE_SECONDS)
        tx.fail(code, message)
    return tx


def replay_transaction(transaction_id: int, *, actor, reason: str = "") -> SyncTransaction:
    """ "Retry now": a failed transaction goes back to ``received`` and is published again."""
    with transaction.atomic():
        tx = SyncTransaction.objects.select_for_update().get(pk=transaction_id)
        tx.replay(actor, reason)
        enqueue_on_commit(tx.kind, tx.pk)
    return tx


def resolve_transaction(transaction_id: int, *, actor, reason: str) -> SyncTransaction:
    """Close a failed transaction without processing it; the reason lands in the history."""
    with transaction.atomic():
        tx = SyncTransaction.objects.select_for_update().get(pk=transaction_id)
        tx.resolve(actor, reason)
    return tx


@scheduled_job(
    "audit.sweep",
    every_seconds=5,
    name="sweep due transactions",
    lane=registry.Lane.REALTIME,
    description="Re-publishes received/retrying rows that are due and rows whose "
    "worker lease expired (DESIGN §4).",
)
def sweep_due_transactions(limit: int | None = None) -> int:
    """Publish again every transaction that should be moving and is not.

    Finds ``received`` rows whose publish was lost, ``retrying`` rows whose time
    has come and ``processing`` rows whose lease expired (a killed worker).
    Each found row gets ``next_attempt_at`` pushed by the publish grace period,
    so a slow queue is not flooded with copies; a duplicate delivery is harmless
    because the task claims the row first. Returns how many were published.
    """
    now = timezone.now()
    limit = limit or settings.SYNC_SWEEP_BATCH
    grace = timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS)
    with transaction.atomic():
        due = list(
            SyncTransaction.objects.select_for_update(skip_locked=True)
            .filter(
                Q(
                    state__in=(TransactionState.RECEIVED, TransactionState.RETRYING),
                    next_attempt_at__lte=now,
                )
                # start_attempt clears next_attempt_at; a sweep sets it, so an
                # expired lease is published once per grace period, not every sweep.
                | (
                    Q(state=TransactionState.PROCESSING, lease_until__lte=now)
                    & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                )
            )
            .order_by("pk")
            .values_list("pk", "kind")[:limit]
        )
        if not due:
            return 0
        SyncTransaction.objects.filter(pk__in=[pk for pk, _ in due]).update(
            next_attempt_at=now + grace
        )
        for pk, kind in due:
            enqueue_on_commit(kind, pk)
    logger.info("sweeper published %d due transaction(s)", len(due))
    return len(due)
