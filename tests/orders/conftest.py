"""Fixtures for the REST intake, status and webhook tests (in-process, real PostgreSQL).

Nothing here reaches the broker: ``send_task`` is replaced by a recorder for
every test, so what the API would publish is asserted instead of sent.
"""

import base64
import hashlib
import hmac
import json

import pytest
from rest_framework.test import APIClient

from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.core.problems import CONTENT_TYPE, PROBLEM_BASE
from syncplatform.orders.models import Order, OrderLine
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ChannelConfig, Partner
from syncplatform.partners.services import issue_api_key

ORDERS_URL = "/api/v1/orders"
WEBHOOK_SECRET = "shopify-test-secret"
POST_ORDER_TASK = "syncplatform.audit.tasks.run_transaction_task"


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Every test here records what it would publish (``published``) instead of sending."""


@pytest.fixture
def erp_partner(db) -> Partner:
    return Partner.objects.create(code="test-erp", name="ERP", kind=PartnerKind.ERP)


def make_channel(code: str, erp: Partner, *, webhook_secret: str = WEBHOOK_SECRET) -> Partner:
    """A channel with its config and one API key (``channel.api_key``, ``channel.api_client``)."""
    channel = Partner.objects.create(code=code, name=code, kind=PartnerKind.CHANNEL)
    ChannelConfig.objects.create(
        partner=channel, erp=erp, default_location="WEB-DC", webhook_secret=webhook_secret
    )
    channel.api_client, channel.api_key = issue_api_key(channel, "tests")
    return channel


@pytest.fixture
def channel(erp_partner) -> Partner:
    return make_channel("web-shop", erp_partner)


@pytest.fixture
def other_channel(erp_partner) -> Partner:
    return make_channel("pos-shop", erp_partner)


@pytest.fixture
def new_channel(erp_partner):
    """Make more channels: ``new_channel(code, webhook_secret=...)``."""

    def make(code: str, **options) -> Partner:
        return make_channel(code, erp_partner, **options)

    return make


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def post_order(api, channel):
    """POST a canonical order (a dict, or raw bytes/str as given) with the channel's key."""

    def post(body, *, key: str | None = "key-1", api_key: str | None = None, headers=None, **extra):
        raw = body if isinstance(body, bytes | str) else json.dumps(body)
        request_headers = {"Authorization": f"Bearer {api_key or channel.api_key}"}
        if key is not None:
            request_headers["Idempotency-Key"] = key
        request_headers.update(headers or {})
        return api.post(
            ORDERS_URL, raw, content_type="application/json", headers=request_headers, **extra
        )

    return post


def stored_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "transactions": SyncTransaction.objects.count(),
        "events": TransactionEvent.objects.count(),
    }


@pytest.fixture
def counts():
    """``counts()`` → how many orders, lines, transactions and events are stored now."""
    return stored_counts


def check_problem(response, status: int, slug: str, *, fields: list[str] | None = None) -> dict:
    """Assert an RFC 9457 answer: status, media type, type slug, correlation id, named fields."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == CONTENT_TYPE
    problem = json.loads(response.content)
    assert problem["type"] == PROBLEM_BASE + slug
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["correlation_id"]
    assert problem["correlation_id"] == response["X-Correlation-ID"]
    if fields is not None:
        assert [error["field"] for error in problem.get("errors", [])] == fields
        assert all(error["message"] for error in problem["errors"])
    return problem


@pytest.fixture
def assert_problem():
    return check_problem


def shopify_signature(raw_body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def sign_shopify():
    """``sign_shopify(raw_body, secret=...)`` → the X-Shopify-Hmac-Sha256 header value."""
    return shopify_signature
