"""Publication permissions: operations see and map shop locations; finance only looks."""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

VIEW = ["view_listingpublication", "view_publicationrun", "view_shoplocation"]
OPERATIONS = VIEW + ["add_shoplocation", "change_shoplocation", "delete_shoplocation"]
FINANCE = VIEW
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_publication"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("catalog", ROLES), migrations.RunPython.noop)]
