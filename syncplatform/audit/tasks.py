"""The two tasks every kind and every schedule runs through: ids and keys in, one call."""

import logging

from celery import shared_task

from connectors.errors import TransientError

from . import registry
from .dispatch import RUN_SCHEDULED_JOB_TASK, RUN_TRANSACTION_TASK
from .runner import run_transaction

logger = logging.getLogger(__name__)


@shared_task(name=RUN_TRANSACTION_TASK, ignore_result=True)
def run_transaction_task(transaction_id: int) -> None:
    run_transaction(transaction_id)


@shared_task(name=RUN_SCHEDULED_JOB_TASK, ignore_result=True)
def run_scheduled_job_task(key: str, partner_id: int | None = None) -> None:
    job = registry.schedule(key).job
    try:
        job() if partner_id is None else job(partner_id)
    except TransientError as exc:
        # Nothing was taken or sent: the next scheduled run tries again.
        logger.warning("scheduled job %s (partner %s) will run again: %s", key, partner_id, exc)
