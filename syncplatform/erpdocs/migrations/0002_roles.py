"""ERP document permissions for the operations and finance groups."""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

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
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


class Migration(migrations.Migration):
    dependencies = [("erpdocs", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("erpdocs", ROLES), migrations.RunPython.noop)]
