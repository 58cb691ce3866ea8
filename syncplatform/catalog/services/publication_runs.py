"""A publication run whose chunk stopped for good ends, so the channel's next run may start.

A run is a chain of ``catalog.publish`` chunks: each chunk's success opens the
next one. A chunk that fails for good (a bad token, its retries spent) or that
an operator resolves opens no successor, and the run would stay ``running``
for ever; since a channel has at most one running run, nothing would be
published to it again. So the moment such a chunk's transaction is stored
``failed`` or ``resolved`` (in the same database transaction), its run ends
``incomplete``. The listings it did not reach are still ``pending`` and go
with the channel's next run (its beat row, or the next load). "Retry now" on
the failed chunk starts that next run at once (``publish_chunk``).

``end_stopped_runs`` does the same for a channel when a run is about to start,
for a run whose chunk stopped without its row being saved through the ORM.
"""

import logging

from django.db.models.signals import post_save
from django.utils import timezone

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction

from ..models import PublicationRun
from ..models.publication import PublicationStatus

logger = logging.getLogger(__name__)

CATALOG_PUBLISH = "catalog.publish"
STOPPED_STATES = (TransactionState.FAILED, TransactionState.RESOLVED)


def end_run_of_stopped_chunk(chunk: SyncTransaction) -> bool:
    """End the chunk's run ``incomplete`` if it is still running; True when it ended it.

    Idempotent: a run that already ended is left as it is.
    """
    ended = PublicationRun.objects.filter(
        pk=chunk.subject_id, status=PublicationStatus.RUNNING
    ).update(status=PublicationStatus.INCOMPLETE, finished_at=timezone.now())
    if ended:
        logger.warning(
            "publication #%s ended incomplete: its chunk (transaction %s) is %s",
            chunk.subject_id,
            chunk.pk,
            chunk.state,
        )
    return bool(ended)


def end_stopped_runs(channel_id: int) -> int:
    """End the channel's running run when its newest chunk is failed or resolved."""
    ended = 0
    for run in PublicationRun.objects.filter(
        channel_id=channel_id, status=PublicationStatus.RUNNING
    ):
        newest = (
            SyncTransaction.objects.filter(kind=CATALOG_PUBLISH, subject_id=run.pk)
            .order_by("-pk")
            .first()
        )
        if newest is not None and newest.state in STOPPED_STATES:
            ended += end_run_of_stopped_chunk(newest)
    return ended


def _on_transaction_saved(sender, instance: SyncTransaction, **_signal_arguments) -> None:
    if instance.kind == CATALOG_PUBLISH and instance.state in STOPPED_STATES:
        end_run_of_stopped_chunk(instance)


post_save.connect(_on_transaction_saved, sender=SyncTransaction, dispatch_uid="catalog-run-end")
