"""Fixtures for settlement imports: real PostgreSQL, a channel with orders to match."""

import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from syncplatform.orders.models import Order
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from syncplatform.settlements.services import import_settlements


@pytest.fixture
def shop(db) -> Partner:
    return Partner.objects.create(code="demo-web", name="Demo web", kind=PartnerKind.CHANNEL)


def make_order(channel: Partner, number: str, name: str = "") -> Order:
    """A stored order (just the row; how it got here does not matter to settlements)."""
    return Order.objects.create(
        channel=channel,
        channel_order_number=number,
        channel_order_name=name,
        idempotency_scope="settlement-tests",
        idempotency_key=uuid.uuid4().hex,
        request_sha256="0" * 64,
        correlation_id=uuid.uuid4().hex,
        ordered_at=datetime(2026, 11, 23, 15, 15, tzinfo=UTC),
        currency="USD",
        customer_id="C-778",
        ship_to_name="Pat Doe",
        ship_to_line1="1 Main St",
        ship_to_city="Columbus",
        ship_to_postal_code="43004",
        ship_to_country="US",
        fulfillment_location="STORE-017",
        shipping_method="GROUND",
        shipping_amount=Decimal("7.95"),
        subtotal=Decimal("39.98"),
        tax_total=Decimal("3.20"),
        discount_total=Decimal("0"),
        grand_total=Decimal("51.13"),
    )


@pytest.fixture
def order_of(shop):
    return lambda number: make_order(shop, number)


@pytest.fixture
def import_bytes(shop):
    """``import_bytes(content, channel=shop, name=...)``: the service over an in-memory file."""

    def run(content: bytes, channel: Partner | None = None, name: str = "payouts.csv", **kw):
        return import_settlements(channel or shop, io.BytesIO(content), name, **kw)

    return run
