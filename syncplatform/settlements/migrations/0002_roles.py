"""Settlement permissions: finance imports and reads them; operations sees imports only.

Operations gets no permission on SettlementLine (the amounts) nor on the
formats' neighbours beyond viewing them: "operations sees the exceptions but
not the settlement amounts, unless an admin grants it" (issue 12).
"""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

FINANCE = [
    "add_settlementimport",
    "view_settlementimport",
    "add_settlementline",
    "view_settlementline",
    "add_settlementformat",
    "change_settlementformat",
    "view_settlementformat",
]
OPERATIONS = ["view_settlementimport", "view_settlementformat"]
ROLES = {"operations": OPERATIONS, "finance": FINANCE}


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("settlements", ROLES), migrations.RunPython.noop)]
