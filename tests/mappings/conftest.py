"""Partners every mapping test needs: two channels, a warehouse and an ERP."""

import pytest
from django.contrib.auth.models import Group, User

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner


@pytest.fixture
def other_channel(db) -> Partner:
    return Partner.objects.create(code="pos", name="Stores", kind=PartnerKind.CHANNEL)


@pytest.fixture
def partners(channel, other_channel, warehouse, erp) -> dict[str, Partner]:
    return {p.code: p for p in (channel, other_channel, warehouse, erp)}


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.groups.add(Group.objects.get(name="operations"))
    return user
