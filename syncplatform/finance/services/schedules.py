"""The daily report's beat row per channel, made when a channel partner is saved."""

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from syncplatform.audit import registry
from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.partners.choices import PartnerKind

from ..choices import FINANCE_DAILY_REPORT


def ensure_daily_report_schedule(partner) -> None:
    """The channel's "yesterday's reconciliation report" beat row, created when missing
    and never overwritten: once it exists it is operations' to change or disable
    (Periodic tasks in the admin)."""
    if partner.kind != PartnerKind.CHANNEL:
        return
    schedule = registry.schedule(FINANCE_DAILY_REPORT)
    every, _ = IntervalSchedule.objects.get_or_create(
        every=schedule.every_seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.get_or_create(
        name=schedule.name.format(partner=partner.code),
        defaults={
            "task": RUN_SCHEDULED_JOB_TASK,
            "interval": every,
            "args": json.dumps([schedule.key, partner.pk]),
            "queue": schedule.lane,
            "description": schedule.description,
        },
    )


def on_partner_saved(sender, instance, **_signal_arguments) -> None:
    ensure_daily_report_schedule(instance)


def on_migrated(**_signal_arguments) -> None:
    from syncplatform.partners.models import Partner

    for partner in Partner.objects.filter(kind=PartnerKind.CHANNEL):
        ensure_daily_report_schedule(partner)
