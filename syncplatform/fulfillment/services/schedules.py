"""Beat schedules per warehouse, editable afterwards in the admin (Periodic tasks)."""

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask

SEND_EVERY_SECONDS = 300
POLL_EVERY_SECONDS = 60


def ensure_warehouse_schedules(
    partner, *, send_every: int = SEND_EVERY_SECONDS, poll_every: int = POLL_EVERY_SECONDS
) -> None:
    """Create the 940 send and inbound poll schedules of a warehouse if missing.

    Existing schedules are left as operations edited them.
    """
    for name, task, seconds in (
        (
            f"send 940s to {partner.code}",
            "syncplatform.fulfillment.tasks.send_shipping_orders_task",
            send_every,
        ),
        (
            f"poll {partner.code} inbound",
            "syncplatform.fulfillment.tasks.poll_warehouse_task",
            poll_every,
        ),
    ):
        every, _ = IntervalSchedule.objects.get_or_create(
            every=seconds, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": every,
                "args": json.dumps([partner.pk]),
                "queue": "batch",
            },
        )
