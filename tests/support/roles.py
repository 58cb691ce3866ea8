"""The groups as migrate made them, again after a transactional test's flush.

A flush empties ``auth_group`` but does not re-run the data migrations that
filled it. ``restore_roles`` replays every ``RoleGrant`` of the project's
migrations, in migration order, on the installed apps: the same grants, so a
test's ``operations`` or ``finance`` user has exactly the rights of production.
"""

from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython

from syncplatform.core.roles import RoleGrant


def role_grants() -> list[RoleGrant]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    plan = [
        key
        for leaf in sorted(loader.graph.leaf_nodes())
        for key in loader.graph.forwards_plan(leaf)
    ]
    return [
        operation.code
        for key in dict.fromkeys(plan)
        for operation in loader.graph.nodes[key].operations
        if isinstance(operation, RunPython) and isinstance(operation.code, RoleGrant)
    ]


def restore_roles() -> None:
    """Fill the groups again when a flush has emptied them (a no-op otherwise)."""
    if Group.objects.filter(permissions__isnull=False).exists():
        return
    for grant in role_grants():
        grant(apps)


def role(name: str) -> Group:
    """The group ``name`` with its permissions as migrate granted them."""
    restore_roles()
    return Group.objects.get(name=name)
