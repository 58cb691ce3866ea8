"""The overdue-997 watch on beat; fulfilment permissions for the operations and finance groups."""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

OPERATIONS = [
    "view_warehouseconfig",
    "change_warehouseconfig",
    "view_interchange",
    "view_shippingorder",
    "view_shipment",
    "view_shipmentline",
    "view_stockposition",
]
FINANCE = ["view_shippingorder", "view_shipment", "view_shipmentline", "view_stockposition"]
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


def schedule_overdue_watch(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name="flag overdue 997s",
        defaults={
            "task": "syncplatform.fulfillment.tasks.flag_overdue_acknowledgments_task",
            "interval": every,
            "queue": "batch",
            "description": "Sent files whose 997 is past due become failed transactions.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0001_initial"),
        ("core", "0001_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(schedule_overdue_watch, migrations.RunPython.noop),
        migrations.RunPython(RoleGrant("fulfillment", ROLES), migrations.RunPython.noop),
    ]
