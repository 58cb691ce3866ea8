"""Fixtures for the transaction machinery: a channel, transactions in each state, operators.

Publishing is always captured: ``send_task`` is replaced by a recorder, so no
test here talks to the broker and every test can assert what was published.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from syncplatform.audit.models import RetryPolicy, SyncTransaction
from syncplatform.audit.services import open_transaction
from syncplatform.orders.models import ERP_ORDER_POST
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

POST_TASK = "syncplatform.audit.tasks.run_transaction_task"


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Every test here records what it would publish (``published``) instead of sending."""


@pytest.fixture
def channel(db) -> Partner:
    return Partner.objects.create(code="shop-a", name="Shop A", kind=PartnerKind.CHANNEL)


@pytest.fixture
def new_transaction(channel):
    """A fresh ``received`` transaction, as intake creates it."""

    def create(business_key: str = "WEB-1") -> SyncTransaction:
        return open_transaction(
            kind=ERP_ORDER_POST,
            partner=channel,
            business_key=business_key,
            correlation_id=uuid.uuid4().hex,
            message=f"order {business_key} accepted",
        )

    return create


@pytest.fixture
def failed_transaction(new_transaction):
    """A transaction that went through one attempt and failed, waiting for a person."""

    def create(business_key: str = "WEB-F") -> SyncTransaction:
        tx = new_transaction(business_key)
        tx.start_attempt(60)
        tx.fail("erp_rejected", "material MAT-1 is blocked")
        return tx

    return create


@pytest.fixture
def succeeded_transaction(new_transaction):
    def create(business_key: str = "WEB-S") -> SyncTransaction:
        tx = new_transaction(business_key)
        tx.start_attempt(60)
        tx.succeed("posted as 4711")
        return tx

    return create


@pytest.fixture
def retry_policy(db):
    """A deterministic policy: no jitter, so delays can be asserted exactly."""

    def set_policy(max_attempts: int = 3, delays: list | None = None) -> RetryPolicy:
        policy, _ = RetryPolicy.objects.update_or_create(
            kind=ERP_ORDER_POST,
            defaults={
                "max_attempts": max_attempts,
                "delays_seconds": delays or [7, 40],
                "jitter_ratio": 0.0,
            },
        )
        return policy

    return set_policy


@pytest.fixture
def make_due():
    """Move a row's scheduled time into the past (a test clock; state is untouched)."""

    def move(tx: SyncTransaction, seconds_ago: int = 5) -> None:
        SyncTransaction.objects.filter(pk=tx.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=seconds_ago)
        )

    return move


@pytest.fixture
def expire_lease():
    """Pretend the worker holding a row's lease stopped ``seconds_ago`` after it ran out."""

    def expire(tx: SyncTransaction, seconds_ago: int = 5) -> None:
        SyncTransaction.objects.filter(pk=tx.pk).update(
            lease_until=timezone.now() - timedelta(seconds=seconds_ago)
        )

    return expire


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.groups.add(Group.objects.get(name="operations"))
    return user


@pytest.fixture
def finance_user(db) -> User:
    user = User.objects.create_user("fin", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user
