from celery import shared_task

from .services import sweep_due_transactions


@shared_task(name="syncplatform.audit.tasks.sweep_due_transactions_task", ignore_result=True)
def sweep_due_transactions_task():
    return sweep_due_transactions()
