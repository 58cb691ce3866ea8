"""Partners every mapping test needs: two channels, a warehouse and an ERP."""

import pytest
from django.contrib.auth.models import Group, User

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """admin_client's superuser has a password; a real hasher costs a second per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def channel(db) -> Partner:
    return Partner.objects.create(code="demo-web", name="Demo web", kind=PartnerKind.CHANNEL)


@pytest.fixture
def other_channel(db) -> Partner:
    return Partner.objects.create(code="pos", name="Stores", kind=PartnerKind.CHANNEL)


@pytest.fixture
def warehouse(db) -> Partner:
    return Partner.objects.create(code="demo-3pl", name="3PL", kind=PartnerKind.WAREHOUSE)


@pytest.fixture
def erp(db) -> Partner:
    return Partner.objects.create(code="demo-erp", name="ERP", kind=PartnerKind.ERP)


@pytest.fixture
def partners(channel, other_channel, warehouse, erp) -> dict[str, Partner]:
    return {p.code: p for p in (channel, other_channel, warehouse, erp)}


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.groups.add(Group.objects.get(name="operations"))
    return user
