"""Reconciliation permissions for the finance and operations groups.

Finance requests, sees and downloads reports, sees settlement amounts and sets
tolerances. Operations sees reports and their exceptions (to fix what they can)
but neither downloads the files nor sees settlement amounts; an admin may grant
``finance.view_settlement_amounts`` to a user or to the group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE = [
    "view_reconciliationreport",
    "add_reconciliationreport",
    "download_reconciliationreport",
    "view_settlement_amounts",
    "view_reconciliationexception",
    "view_tolerance",
    "add_tolerance",
    "change_tolerance",
]
OPERATIONS = ["view_reconciliationreport", "view_reconciliationexception", "view_tolerance"]


def forwards(apps, schema_editor):
    config = apps.get_app_config("finance")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("operations", OPERATIONS), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="finance", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
