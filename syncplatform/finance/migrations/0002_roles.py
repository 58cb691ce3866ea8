"""Reconciliation permissions for the finance and operations groups.

Finance requests, sees and downloads reports, sees settlement amounts and sets
tolerances. Operations sees reports and their exceptions (to fix what they can)
but neither downloads the files nor sees settlement amounts; an admin may grant
``finance.view_settlement_amounts`` to a user or to the group.
"""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

FINANCE = [
    "view_reconciliationreport",
    "add_reconciliationreport",
    "download_reconciliationreport",
    "view_settlement_amounts",
    "view_reconciliationexception",
    "view_tolerance",
    "add_tolerance",
    "change_tolerance",
]
OPERATIONS = ["view_reconciliationreport", "view_reconciliationexception", "view_tolerance"]
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("finance", ROLES), migrations.RunPython.noop)]
