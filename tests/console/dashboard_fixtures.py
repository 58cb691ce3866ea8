"""Fixtures of the dashboard and failure-group tests: failed work as the runner leaves it.

Imported by name into those test modules (tests/console/ is shared with the
alerts and metrics tests, so these stay out of a conftest.py).
"""

import uuid

import pytest
from django.contrib.auth.models import Group, User

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.services import open_transaction
from syncplatform.mappings.services import MissingMappings
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

ORDER_POST = "erp.order.post"


@pytest.fixture
def shop(db) -> Partner:
    return Partner.objects.create(code="demo-web", name="Demo web", kind=PartnerKind.CHANNEL)


@pytest.fixture
def make_transaction(shop):
    """``make_transaction(key, kind=...)``: a received transaction as intake opens it."""

    def create(business_key: str, kind: str = ORDER_POST, partner=None) -> SyncTransaction:
        return open_transaction(
            kind=kind,
            partner=partner or shop,
            business_key=business_key,
            correlation_id=uuid.uuid4().hex,
            message=f"{business_key} accepted",
        )

    return create


@pytest.fixture
def fail_with(make_transaction):
    """``fail_with(key, code, message)``: one attempt that ended failed, as the runner ends it."""

    def fail(business_key: str, code: str, message: str, **options) -> SyncTransaction:
        tx = make_transaction(business_key, **options)
        tx.start_attempt(60)
        tx.fail(code, message)
        return tx

    return fail


@pytest.fixture
def missing_mapping(fail_with, shop):
    """``missing_mapping(key, "sku A", ...)``: a posting failed with MissingMappings' own text."""

    def fail(business_key: str, *gaps: str) -> SyncTransaction:
        error = MissingMappings(shop, list(gaps))
        return fail_with(business_key, error.code, str(error))

    return fail


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("olga", is_staff=True)
    user.groups.add(Group.objects.get(name="operations"))
    return user


@pytest.fixture
def finance_user(db) -> User:
    user = User.objects.create_user("fiona", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user
