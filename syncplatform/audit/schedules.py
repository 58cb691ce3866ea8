"""Beat rows for the declared schedules, and retry-policy rows for the declared kinds.

Both are created when missing and never overwritten: once a row exists it
belongs to operations (Periodic tasks, Retry policies in the admin).
"""

import json

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from . import registry
from .dispatch import RUN_SCHEDULED_JOB_TASK
from .models import RetryPolicy


def ensure_declared_rows(**_signal_arguments) -> None:
    """After ``migrate``: a retry policy per kind and a beat row per global schedule."""
    with transaction.atomic():
        for kind in registry.kinds():
            if not RetryPolicy.objects.filter(kind=kind.code).exists():
                RetryPolicy.declared_for(kind.code).save()
        for schedule in registry.schedules():
            if not schedule.per_partner:
                _ensure_row(schedule, schedule.name, [schedule.key], schedule.every_seconds)


def ensure_partner_schedules(partner, *, every_seconds: dict[str, int] | None = None) -> None:
    """The beat rows of every schedule declared per partner of ``partner.kind``.

    Called when a partner becomes able to run them (a warehouse's SFTP settings
    are saved). ``every_seconds`` overrides a schedule's interval by key for
    rows created now (the demo polls faster).
    """
    every_seconds = every_seconds or {}
    for schedule in registry.schedules():
        if schedule.per_partner == partner.kind:
            _ensure_row(
                schedule,
                schedule.name.format(partner=partner.code),
                [schedule.key, partner.pk],
                every_seconds.get(schedule.key, schedule.every_seconds),
            )


def _ensure_row(schedule: registry.Schedule, name: str, args: list, seconds: int) -> None:
    every, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.get_or_create(
        name=name,
        defaults={
            "task": RUN_SCHEDULED_JOB_TASK,
            "interval": every,
            "args": json.dumps(args),
            "queue": schedule.lane,
            "description": schedule.description,
        },
    )
