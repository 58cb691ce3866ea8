"""Groups ``operations`` and ``finance`` with the permissions their work needs."""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

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


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("audit", "0002_append_only_and_defaults"),
        ("mappings", "0001_initial"),
        ("orders", "0001_initial"),
        ("partners", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(RoleGrant(None, ROLES), migrations.RunPython.noop)]
