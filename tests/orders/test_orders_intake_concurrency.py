"""Concurrent duplicates of one order settle on the unique constraints: one order, one answer."""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from syncplatform.audit.models import SyncTransaction
from syncplatform.orders.models import Order
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 8


def post_concurrently(api_key: str, requests: list[tuple[str, bytes]]) -> list:
    """POST every ``(idempotency key, body)`` at once from its own thread and connection."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(index: int, key: str, raw: bytes) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = APIClient().post(
                "/api/v1/orders",
                raw,
                content_type="application/json",
                headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": key},
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(index, key, raw))
        for index, (key, raw) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.parametrize("round_number", range(5))
def test_given_the_same_key_and_body_sent_at_once_then_one_order_and_one_answer(
    channel, round_number
):
    # Several rounds: the interleavings that matter (a winner committing between a
    # loser's reads) are rare in any one round.
    raw = json.dumps(canonical_order(f"WEB-RACE-{round_number}")).encode()

    responses = post_concurrently(channel.api_key, [("race-key", raw)] * SENDERS)

    assert [response.status_code for response in responses] == [202] * SENDERS
    order = Order.objects.get()
    assert {response.json()["id"] for response in responses} == {order.pk}
    assert sum(response.has_header("Idempotent-Replayed") for response in responses) == (
        SENDERS - 1
    )
    assert SyncTransaction.objects.count() == 1


def test_given_one_order_number_under_many_keys_at_once_then_one_order(channel):
    raw = json.dumps(canonical_order("WEB-RACE-MANY-KEYS")).encode()

    responses = post_concurrently(channel.api_key, [(f"key-{n}", raw) for n in range(SENDERS)])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (SENDERS - 1) + [202]
    order = Order.objects.get()
    assert {response.json()["id"] for response in responses} == {order.pk}
    assert SyncTransaction.objects.count() == 1
