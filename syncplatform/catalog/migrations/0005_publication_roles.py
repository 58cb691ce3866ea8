"""Publication permissions: operations see and map shop locations; finance only looks."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_listingpublication", "view_publicationrun", "view_shoplocation"]
OPERATIONS = VIEW + ["add_shoplocation", "change_shoplocation", "delete_shoplocation"]
FINANCE = VIEW


def forwards(apps, schema_editor):
    config = apps.get_app_config("catalog")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("operations", OPERATIONS), ("finance", FINANCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_publication"), ("core", "0001_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
