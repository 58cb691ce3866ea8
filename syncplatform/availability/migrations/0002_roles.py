"""Available-to-sell permissions for the operations and finance groups.

Operations read the figures, edit safety stock and follow recomputes; finance
reads the figures and the safety stock.
"""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

OPERATIONS = [
    "view_availability",
    "view_safetystock",
    "add_safetystock",
    "change_safetystock",
    "delete_safetystock",
    "view_recomputechunk",
]
FINANCE = ["view_availability", "view_safetystock"]
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


class Migration(migrations.Migration):
    dependencies = [("availability", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("availability", ROLES), migrations.RunPython.noop)]
