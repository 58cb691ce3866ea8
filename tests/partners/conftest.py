"""Partners with stored secrets, and an operations user."""

import pytest
from django.contrib.auth.models import Group, User

from syncplatform.partners.models import ChannelConfig, ErpEndpoint

WEBHOOK_SECRET = "whsec-clear-7f3a9c"
ERP_PASSWORD = "erp-clear-pass-51d2"


@pytest.fixture
def channel_config(channel, erp) -> ChannelConfig:
    return ChannelConfig.objects.create(
        partner=channel, erp=erp, default_sold_to="0000999999", webhook_secret=WEBHOOK_SECRET
    )


@pytest.fixture
def erp_endpoint(erp) -> ErpEndpoint:
    return ErpEndpoint.objects.create(
        partner=erp,
        wsdl_url="http://127.0.0.1:8001/sap/SalesOrder?wsdl",
        username="RFC_USER",
        password=ERP_PASSWORD,
    )


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.groups.add(Group.objects.get(name="operations"))
    return user
