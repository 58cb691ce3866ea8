"""Which Celery task carries which kind of transaction; publishing after commit.

Apps register their kinds in ``AppConfig.ready``. The broker message holds
only the transaction id; routing to the realtime or batch queue comes from
``CELERY_TASK_ROUTES``.
"""

from django.db import transaction

from syncplatform.celery import app as celery_app

_TASK_FOR_KIND: dict[str, str] = {}


def register_kind(kind: str, task_name: str) -> None:
    _TASK_FOR_KIND[kind] = task_name


def task_for_kind(kind: str) -> str:
    try:
        return _TASK_FOR_KIND[kind]
    except KeyError:
        raise LookupError(f"no task registered for transaction kind {kind!r}") from None


def enqueue_on_commit(kind: str, transaction_id: int) -> None:
    """Publish the id once the surrounding database transaction commits.

    Publishing inside the transaction could let a worker look for a row that
    is not committed yet; if the publish itself is lost, the sweeper finds the
    ``received`` row and publishes again.
    """
    task_name = task_for_kind(kind)
    transaction.on_commit(lambda: celery_app.send_task(task_name, args=[transaction_id]))
