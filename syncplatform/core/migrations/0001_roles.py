"""Groups ``operations`` and ``finance`` with the permissions their work needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "operations": [
        "mappings.*",
        "audit.view_synctransaction",
        "audit.operate_synctransaction",
        "audit.view_transactionevent",
        "audit.view_retrypolicy",
        "audit.change_retrypolicy",
        "orders.view_order",
        "orders.view_orderline",
        "partners.view_partner",
        "partners.view_channelconfig",
        "partners.view_erpendpoint",
        "partners.view_apiclient",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
    ],
    "finance": [
        "orders.view_order",
        "orders.view_orderline",
        "audit.view_synctransaction",
        "audit.view_transactionevent",
        "partners.view_partner",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            found = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                found = found.filter(codename=codename)
            group.permissions.add(*found)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("audit", "0002_append_only_and_defaults"),
        ("mappings", "0001_initial"),
        ("orders", "0001_initial"),
        ("partners", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
