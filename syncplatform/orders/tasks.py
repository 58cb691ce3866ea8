from celery import shared_task

from syncplatform.audit.runner import run_transaction

from .services import post_order_to_erp


@shared_task(name="syncplatform.orders.tasks.post_order_task", ignore_result=True)
def post_order_task(transaction_id: int) -> None:
    run_transaction(transaction_id, post_order_to_erp)
