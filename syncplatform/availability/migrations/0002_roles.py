"""Available-to-sell permissions for the operations and finance groups.

Operations read the figures, edit safety stock and follow recomputes; finance
reads the figures and the safety stock.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATIONS = [
    "view_availability",
    "view_safetystock",
    "add_safetystock",
    "change_safetystock",
    "delete_safetystock",
    "view_recomputechunk",
]
FINANCE = ["view_availability", "view_safetystock"]


def forwards(apps, schema_editor):
    config = apps.get_app_config("availability")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("operations", OPERATIONS), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="availability", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [("availability", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
