"""Console permissions for the operations and finance groups: both read the hourly figures.

The dashboard and the failure pages are guarded by the audit permissions they
show (view, and operate for retry and resolve); these rows only let the groups
read the rollup tables should they be shown in the admin.
"""

from django.db import migrations

from syncplatform.core.roles import RoleGrant

READ = ["view_kindhour", "view_shipmenthour"]
ROLES = {"operations": READ, "finance": READ}


class Migration(migrations.Migration):
    dependencies = [("console", "0001_initial"), ("core", "0001_roles")]

    operations = [migrations.RunPython(RoleGrant("console", ROLES), migrations.RunPython.noop)]
