"""Catalog permissions: operations run and configure loads; finance only looks."""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

VIEW = [
    "view_catalogsource",
    "view_catalogload",
    "view_refusedrow",
    "view_product",
    "view_productunit",
    "view_barcode",
    "view_price",
    "view_listing",
]
OPERATIONS = VIEW + ["add_catalogsource", "change_catalogsource", "run_catalogload"]
FINANCE = VIEW
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("catalog", ROLES), migrations.RunPython.noop)]
