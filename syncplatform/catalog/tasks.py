"""The catalog's own task: one chunk of a load, by id."""

import logging

from celery import shared_task

from .services.loads import LOAD_CHUNK_TASK, load_next_chunk, record_chunk_error

logger = logging.getLogger(__name__)


@shared_task(name=LOAD_CHUNK_TASK, ignore_result=True)
def load_catalog_chunk_task(load_id: int) -> None:
    try:
        load_next_chunk(load_id)
    except Exception as error:
        # Rolled back; the resumer queues the chunk again, up to the attempt limit.
        logger.exception("catalog load %s: chunk failed", load_id)
        record_chunk_error(load_id, error)
