"""The prices-in-force mark is read-only in the admin: operations and finance may view it."""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

ROLES = {"operations": ["view_pricedaymark"], "finance": ["view_pricedaymark"]}


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_product_raw_hash_fewer_indexes"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("catalog", ROLES), migrations.RunPython.noop)]
