"""Database-level append-only guard for events; default retry policy; the sweeper's schedule."""

from django.db import migrations

GUARD_PG = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_transactionevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_transactionevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
UNGUARD_PG = """
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_transactionevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
GUARD_SQLITE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_transactionevent
       BEGIN SELECT RAISE(ABORT, 'audit_transactionevent is append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_transactionevent
       BEGIN SELECT RAISE(ABORT, 'audit_transactionevent is append-only'); END;""",
]
UNGUARD_SQLITE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_PG)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in GUARD_SQLITE:
            schema_editor.execute(statement)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_PG)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in UNGUARD_SQLITE:
            schema_editor.execute(statement)


def defaults(apps, schema_editor):
    RetryPolicy = apps.get_model("audit", "RetryPolicy")
    # ERP outages are usually minutes; give up after about 2 hours and let a person look.
    RetryPolicy.objects.get_or_create(
        kind="erp.order.post",
        defaults={
            "max_attempts": 10,
            "delays_seconds": [5, 15, 30, 60, 120, 300, 600, 1200, 1800],
            "jitter_ratio": 0.2,
        },
    )
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="seconds")
    PeriodicTask.objects.get_or_create(
        name="sweep due transactions",
        defaults={
            "task": "syncplatform.audit.tasks.sweep_due_transactions_task",
            "interval": every,
            "queue": "realtime",
            "description": "Re-publishes received/retrying rows that are due and rows whose "
            "worker lease expired (DESIGN §4).",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(guard, unguard),
        migrations.RunPython(defaults, migrations.RunPython.noop),
    ]
