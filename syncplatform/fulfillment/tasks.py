"""Thin Celery tasks: ids in, one service call."""

import logging

from celery import shared_task

from connectors.errors import TransientError
from syncplatform.audit.runner import run_transaction

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="syncplatform.fulfillment.tasks.send_shipping_orders_task", ignore_result=True)
def send_shipping_orders_task(warehouse_id: int) -> None:
    services.send_and_upload_shipping_orders(warehouse_id)


@shared_task(name="syncplatform.fulfillment.tasks.poll_warehouse_task", ignore_result=True)
def poll_warehouse_task(warehouse_id: int) -> None:
    try:
        services.poll_warehouse(warehouse_id)
    except TransientError as exc:
        # The files stay on the server; the next scheduled poll takes them.
        logger.warning("warehouse %s unreachable, will poll again: %s", warehouse_id, exc)


@shared_task(name="syncplatform.fulfillment.tasks.retry_poll_task", ignore_result=True)
def retry_poll_task(transaction_id: int) -> None:
    run_transaction(transaction_id, services.retry_poll)


@shared_task(name="syncplatform.fulfillment.tasks.upload_interchange_task", ignore_result=True)
def upload_interchange_task(transaction_id: int) -> None:
    run_transaction(transaction_id, services.upload_interchange)


@shared_task(name="syncplatform.fulfillment.tasks.apply_inbound_file_task", ignore_result=True)
def apply_inbound_file_task(transaction_id: int) -> None:
    run_transaction(transaction_id, services.apply_inbound_file)


@shared_task(name="syncplatform.fulfillment.tasks.check_acknowledgment_task", ignore_result=True)
def check_acknowledgment_task(transaction_id: int) -> None:
    run_transaction(transaction_id, services.check_acknowledgment)


@shared_task(
    name="syncplatform.fulfillment.tasks.flag_overdue_acknowledgments_task", ignore_result=True
)
def flag_overdue_acknowledgments_task() -> None:
    services.flag_overdue_acknowledgments()
