"""The events table refuses TRUNCATE, and the runtime role may only read and add to it.

- 0002's row triggers never fire on TRUNCATE. A statement trigger now refuses it,
  whoever runs it, the owner included, and also as the CASCADE of a TRUNCATE of
  the transactions. A session that sets ``syncplatform.audit_truncate`` to
  ``allow`` passes: only the owner holds TRUNCATE, and the owner could as well
  drop the trigger; the test suite sets it to empty its database between tests.
- When ``settings.SYNC_DB_RUNTIME_ROLE`` names the runtime role (README,
  "Database roles"), that role gets row privileges on every table and sequence,
  the same on the ones later migrations create, and SELECT and INSERT only on
  the events table (syncplatform/core/database_roles.py). Empty: nothing is
  granted. Unapplying leaves the privileges as they are: the services run on them.

SQLite: nothing (no TRUNCATE there, one file and no roles).
"""

from django.conf import settings
from django.db import migrations

from syncplatform.core.database_roles import grant_runtime_privileges

EVENTS_TABLE = "audit_transactionevent"

GUARD_PG = """
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('syncplatform.audit_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_transactionevent is append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_transactionevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
"""
UNGUARD_PG = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_transactionevent;
DROP FUNCTION IF EXISTS audit_event_no_truncate();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GUARD_PG)
    if settings.SYNC_DB_RUNTIME_ROLE:
        grant_runtime_privileges(
            schema_editor.connection,
            settings.SYNC_DB_RUNTIME_ROLE,
            append_only_tables=(EVENTS_TABLE,),
        )


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_PG)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_kinds_indexes_and_defaults"),
    ]

    operations = [
        migrations.RunPython(guard, unguard),
    ]
