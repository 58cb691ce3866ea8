"""The groups: granted by each app's migration, replayed identically after a flush."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from syncplatform.core.roles import RoleGrant
from tests.support.roles import restore_roles, role_grants


def granted() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.all()
    }


def test_replaying_the_grants_gives_the_groups_migrate_made(db):
    as_migrated = granted()
    assert set(as_migrated) == {"operations", "finance"}
    Group.objects.all().delete()  # what a transactional test's flush leaves

    restore_roles()

    assert granted() == as_migrated


def test_every_app_with_roles_grants_through_its_migration(db):
    labels = {grant.app_label for grant in role_grants()}
    assert labels >= {
        None,  # core: cross-app entries
        "audit",
        "availability",
        "catalog",
        "console",
        "erpdocs",
        "finance",
        "fulfillment",
        "orders",
        "settlements",
    }


def test_a_grant_reads_bare_codenames_as_its_apps_and_dotted_ones_as_named(db):
    RoleGrant("orders", {"clerks": ["view_order", "partners.view_partner", "mappings.*"]})(apps)

    every_mapping_permission = {
        f"mappings.{codename}"
        for codename in Permission.objects.filter(content_type__app_label="mappings").values_list(
            "codename", flat=True
        )
    }
    assert "mappings.change_skumapping" in every_mapping_permission
    assert (
        granted()["clerks"]
        == {
            "orders.view_order",
            "partners.view_partner",
        }
        | every_mapping_permission
    )
