"""The ``operations`` and ``finance`` groups, filled by each app's data migration.

An app says in a migration which of its permissions each group gets::

    ROLES = {"operations": ["view_listing", "run_catalogload"], "finance": ["view_listing"]}
    operations = [migrations.RunPython(RoleGrant("catalog", ROLES), migrations.RunPython.noop)]

A codename without a dot belongs to the migration's own app; ``"app.codename"``
names another app's and ``"app.*"`` every permission of that app. A test whose
flush emptied the groups replays the same grants in migration order
(``tests/support/roles.py``), so groups in tests are exactly what migrate made.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.apps import apps as installed_apps
from django.contrib.auth.management import create_permissions


@dataclass(frozen=True)
class RoleGrant:
    """A ``RunPython`` callable: give each group (made when missing) these permissions."""

    app_label: str | None
    roles: Mapping[str, Sequence[str]]

    def __call__(self, apps, schema_editor=None) -> None:
        entries = {
            group: [self._qualified(name) for name in names] for group, names in self.roles.items()
        }
        # Permissions are normally created after migrate (post_migrate); the
        # grant needs them now. create_permissions reads the installed models.
        for label in sorted({entry.split(".")[0] for names in entries.values() for entry in names}):
            create_permissions(installed_apps.get_app_config(label), verbosity=0)
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for name, names in entries.items():
            group, _ = Group.objects.get_or_create(name=name)
            for entry in names:
                app_label, codename = entry.split(".")
                found = Permission.objects.filter(content_type__app_label=app_label)
                if codename != "*":
                    found = found.filter(codename=codename)
                group.permissions.add(*found)

    def _qualified(self, name: str) -> str:
        return name if "." in name else f"{self.app_label}.{name}"
