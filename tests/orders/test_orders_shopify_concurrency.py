"""Concurrent deliveries of one Shopify order settle on the unique constraints.

Shopify retries a webhook it is unsure about, and a shop with two subscriptions
sends each order twice under two webhook ids; these may arrive at the same
moment. Held or not, one order makes one receipt that carries it, one
transaction and at most one order.
"""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from syncplatform.audit.models import SyncTransaction
from syncplatform.orders.models import CHANNEL_ORDER_INTAKE, ChannelOrderReceipt, Order
from tests.connectors.channels.shopify_bodies import order_2025, without_shipping
from tests.orders.conftest import shopify_signature

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 8


def deliver_concurrently(deliveries: list[tuple[str, bytes]]) -> list:
    """POST every ``(webhook id, body)`` to web-shop at once, each from its own connection."""
    barrier = threading.Barrier(len(deliveries))
    responses = [None] * len(deliveries)

    def send(index: int, webhook_id: str, raw: bytes) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = APIClient().post(
                "/api/v1/webhooks/shopify/web-shop/orders-create",
                raw,
                content_type="application/json",
                headers={
                    "X-Shopify-Hmac-Sha256": shopify_signature(raw),
                    "X-Shopify-Webhook-Id": webhook_id,
                },
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(index, webhook_id, raw))
        for index, (webhook_id, raw) in enumerate(deliveries)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.parametrize("round_number", range(3))
def test_given_a_held_webhook_redelivered_at_once_then_one_receipt_and_one_answer(
    channel, round_number
):
    raw = json.dumps(without_shipping(order_2025(id=7000 + round_number))).encode()

    responses = deliver_concurrently([("wh-race", raw)] * SENDERS)

    assert [response.status_code for response in responses] == [202] * SENDERS
    receipt = ChannelOrderReceipt.objects.get()
    assert {response.json()["receipt_id"] for response in responses} == {receipt.pk}
    assert sum(response.has_header("Idempotent-Replayed") for response in responses) == (
        SENDERS - 1
    )
    assert SyncTransaction.objects.filter(kind=CHANNEL_ORDER_INTAKE).count() == 1


@pytest.mark.parametrize(
    "body", [without_shipping(order_2025()), order_2025()], ids=["held", "complete"]
)
def test_given_one_order_under_many_webhook_ids_at_once_then_one_first_receipt(channel, body):
    raw = json.dumps(body).encode()

    responses = deliver_concurrently([(f"wh-{n}", raw) for n in range(SENDERS)])

    assert sorted(response.status_code for response in responses) == [200] * (SENDERS - 1) + [202]
    first = ChannelOrderReceipt.objects.get(duplicate_of=None)
    assert ChannelOrderReceipt.objects.filter(duplicate_of=first).count() == SENDERS - 1
    assert SyncTransaction.objects.count() == 1  # its intake, or the order's ERP posting
    assert Order.objects.count() == (1 if body["shipping_lines"] else 0)
