"""ERP document permissions for the operations and finance groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATIONS = [
    "view_idocconfig",
    "change_idocconfig",
    "add_idocconfig",
    "view_idocpackage",
    "view_idoc",
    "view_posting",
    "change_posting",
    "view_stockcomparison",
    "view_stockcomparisonline",
    "view_inboundidocfile",
    "view_invoice",
    "view_invoiceline",
]
FINANCE = ["view_invoice", "view_invoiceline", "view_posting", "view_stockcomparison"]


def forwards(apps, schema_editor):
    config = apps.get_app_config("erpdocs")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("operations", OPERATIONS), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="erpdocs", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("erpdocs", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
