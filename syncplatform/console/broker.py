"""How many messages wait on each lane's queue, asked of the broker as it is deployed.

RabbitMQ answers a passive ``queue_declare`` with the queue's ready count
(it neither creates nor changes the queue). The embedded default's filesystem
transport keeps one file per message, named ``<ms>_<uuid>.<queue>.msg``, so
counting files is the depth. Either way a broker that does not answer gives
``None`` ("unknown" on the dashboard) within ``timeout`` seconds, never an error page.
"""

import logging
import os

from amqp.exceptions import NotFound
from django.conf import settings
from kombu import Connection

from syncplatform.audit.registry import Lane

logger = logging.getLogger(__name__)


def queue_depths(timeout: float = 2.0) -> dict[str, int | None]:
    """``{lane: messages waiting}``, ``None`` for a lane the broker did not tell."""
    lanes = [lane.value for lane in Lane]
    if settings.IS_FILESYSTEM_BROKER:
        return _filesystem_depths(lanes)
    return _amqp_depths(lanes, timeout)


def _filesystem_depths(lanes: list[str]) -> dict[str, int | None]:
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    depths: dict[str, int | None] = dict.fromkeys(lanes, 0)
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                queue = entry.name.partition(".")[2].removesuffix(".msg")
                if queue in depths:
                    depths[queue] += 1
    except OSError as exc:
        logger.warning("queue depth unknown: cannot list %s: %s", folder, exc)
        return dict.fromkeys(lanes)
    return depths


def _amqp_depth(connection: Connection, lane: str) -> int:
    # One channel per queue: a missing queue (404) closes the channel that asked.
    with connection.channel() as channel:
        try:
            return channel.queue_declare(queue=lane, passive=True).message_count
        except NotFound:
            return 0  # never declared: no worker started and nothing was sent to it


def _amqp_depths(lanes: list[str], timeout: float) -> dict[str, int | None]:
    depths: dict[str, int | None] = dict.fromkeys(lanes)
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            for lane in lanes:
                depths[lane] = _amqp_depth(connection, lane)
    except Exception as exc:
        logger.warning("queue depth unknown: the broker did not answer: %s", exc)
    return depths


def _amqp_depth(connection: Connection, lane: str) -> int:
    # One channel per queue: a missing queue (404) closes the channel that asked.
    with connection.channel() as channel:
        try:
            return channel.queue_declare(queue=lane, passive=True).message_count
        except NotFound:
            return 0  # never declared: no worker started and nothing was sent to it
