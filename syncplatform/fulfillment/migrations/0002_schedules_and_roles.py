"""The overdue-997 watch on beat; fulfilment permissions for the operations and finance groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def forwards(apps, schema_editor):
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
    config = apps.get_app_config("fulfillment")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("operations", OPERATIONS), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="fulfillment", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0001_initial"),
        ("core", "0001_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
