"""Publishing a transaction's id to its lane, after the surrounding commit.

The broker message holds only the transaction id; the task (one for every
kind) looks the kind up in the registry once it has claimed the row. The
queue is the kind's lane.
"""

import logging

from django.db import transaction

from syncplatform.celery import app as celery_app

from . import registry

logger = logging.getLogger(__name__)

RUN_TRANSACTION_TASK = "syncplatform.audit.tasks.run_transaction_task"
RUN_SCHEDULED_JOB_TASK = "syncplatform.audit.tasks.run_scheduled_job_task"


def enqueue_on_commit(kind: str, transaction_id: int) -> None:
    """Publish the id once the surrounding database transaction commits.

    Publishing inside the transaction could let a worker look for a row that
    is not committed yet. A publish that fails after the commit (the broker is
    down) is logged and left to the sweeper, which finds the ``received`` or
    due row and publishes it again: the work is stored, so the caller's
    request has succeeded and must not see the broker's error.
    """
    lane = _lane_of(kind)
    transaction.on_commit(lambda: publish(transaction_id, lane))


def _lane_of(kind: str) -> str:
    try:
        return registry.kind(kind).lane
    except registry.UnknownKind:
        # A stored row of a kind no app declares any more (open_transaction refuses
        # new ones): the runner fails it naming the kind, instead of the sweep failing.
        return registry.Lane.BATCH


def publish(transaction_id: int, lane: str) -> bool:
    """Send one transaction id to its lane now; False (logged) when the broker refused it."""
    try:
        celery_app.send_task(RUN_TRANSACTION_TASK, args=[transaction_id], queue=lane)
    except Exception:
        logger.warning(
            "transaction %s: publish failed; the sweeper will publish it again",
            transaction_id,
            exc_info=True,
        )
        return False
    return True
