"""Settlement permissions: finance imports and reads them; operations sees imports only.

Operations gets no permission on SettlementLine (the amounts) nor on the
formats' neighbours beyond viewing them: "operations sees the exceptions but
not the settlement amounts, unless an admin grants it" (issue 12).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE = [
    "add_settlementimport",
    "view_settlementimport",
    "add_settlementline",
    "view_settlementline",
    "add_settlementformat",
    "change_settlementformat",
    "view_settlementformat",
]
OPERATIONS = ["view_settlementimport", "view_settlementformat"]


def forwards(apps, schema_editor):
    config = apps.get_app_config("settlements")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("operations", OPERATIONS), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="settlements", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
