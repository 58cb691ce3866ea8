"""Beat rows point at the one scheduled-job task, naming the job by its declared key.

Until now each job had a Celery task of its own; the rows made by earlier
migrations and by saving a warehouse carry those names.
"""

import json

from django.db import migrations, models

RUN_SCHEDULED_JOB_TASK = "syncplatform.audit.tasks.run_scheduled_job_task"
# Old task name -> the job's key. The per-warehouse jobs keep their argument.
RETIRED = {
    "syncplatform.audit.tasks.sweep_due_transactions_task": "audit.sweep",
    "syncplatform.fulfillment.tasks.flag_overdue_acknowledgments_task": "edi.997.overdue",
    "syncplatform.fulfillment.tasks.send_shipping_orders_task": "edi.940.out",
    "syncplatform.fulfillment.tasks.poll_warehouse_task": "edi.inbound.poll",
}


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for row in PeriodicTask.objects.filter(task__in=RETIRED):
        row.args = json.dumps([RETIRED[row.task], *json.loads(row.args or "[]")])
        row.task = RUN_SCHEDULED_JOB_TASK
        row.save(update_fields=["task", "args"])


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    names = {key: name for name, key in RETIRED.items()}
    for row in PeriodicTask.objects.filter(task=RUN_SCHEDULED_JOB_TASK):
        key, *args = json.loads(row.args)
        if key in names:
            row.task, row.args = names[key], json.dumps(args)
            row.save(update_fields=["task", "args"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_runtime_role_and_truncate_guard"),
        ("fulfillment", "0002_schedules_and_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="synctransaction",
            name="kind",
            field=models.CharField(help_text="A declared transaction kind's code.", max_length=40),
        ),
    ]
