"""Console permissions for the operations and finance groups: both read the hourly figures.

The dashboard and the failure pages are guarded by the audit permissions they
show (view, and operate for retry and resolve); these rows only let the groups
read the rollup tables should they be shown in the admin.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view_kindhour", "view_shipmenthour"]


def forwards(apps, schema_editor):
    config = apps.get_app_config("console")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ("operations", "finance"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="console", codename__in=READ)
        )


class Migration(migrations.Migration):
    dependencies = [("console", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
