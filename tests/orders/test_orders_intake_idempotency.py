"""Idempotency of POST /api/v1/orders: per (API client, key) and per (channel, order number)."""

import json

import pytest

from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.orders.models import Order, OrderLine
from syncplatform.partners.services import issue_api_key
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db


def order_snapshot(order: Order) -> dict:
    order.refresh_from_db()
    lines = list(order.lines.values_list("line_number", "sku", "quantity", "unit_price"))
    fields = ("pk", "idempotency_key", "request_sha256", "correlation_id", "grand_total")
    return {name: getattr(order, name) for name in fields} | {
        "updated_at": order.updated_at,
        "lines": lines,
    }


def test_given_same_key_and_body_when_resent_then_202_replays_the_first_answer(
    post_order, counts, published, django_capture_on_commit_callbacks
):
    raw = json.dumps(canonical_order()).encode()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_order(raw, key="same")
    after_first = counts()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = post_order(raw, key="same")

    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert second["Location"] == first["Location"]
    assert counts() == after_first == {"orders": 1, "lines": 1, "transactions": 1, "events": 1}
    assert callbacks == []
    assert len(published) == 1


def test_given_a_replay_then_the_body_keeps_the_first_correlation_id(post_order):
    raw = json.dumps(canonical_order()).encode()
    first = post_order(raw, key="same", headers={"X-Correlation-ID": "first-request-id"})
    second = post_order(raw, key="same", headers={"X-Correlation-ID": "second-request-id"})

    assert second.json()["correlation_id"] == "first-request-id"
    # The header still identifies this request, so its logs can be found.
    assert second["X-Correlation-ID"] == "second-request-id"
    assert first.json() == second.json()


def test_given_same_key_and_another_body_when_sent_then_422_and_the_first_order_unchanged(
    post_order, counts, assert_problem, published
):
    assert post_order(canonical_order(), key="same").status_code == 202
    first = Order.objects.get()
    before, stored = counts(), order_snapshot(first)

    changed = canonical_order()
    changed["lines"][0]["sku"] = "TSHIRT-WHT-L"
    response = post_order(changed, key="same")

    problem = assert_problem(response, 422, "idempotency-key-reused", fields=["Idempotency-Key"])
    assert "different request body" in problem["detail"]
    assert counts() == before
    assert order_snapshot(first) == stored
    assert OrderLine.objects.get().sku == "TSHIRT-BLK-M"
    assert len(published) <= 1  # only the first order could ever be published


def test_given_same_key_with_another_order_number_when_sent_then_422(post_order, assert_problem):
    post_order(canonical_order("WEB-1"), key="same")

    response = post_order(canonical_order("WEB-2"), key="same")

    assert_problem(response, 422, "idempotency-key-reused", fields=["Idempotency-Key"])
    assert list(Order.objects.values_list("channel_order_number", flat=True)) == ["WEB-1"]


def test_given_same_order_number_under_a_new_key_then_200_with_the_existing_order(
    post_order, counts, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_order(canonical_order("WEB-7"), key="first-key")
    first_order = Order.objects.get()
    stored = order_snapshot(first_order)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = post_order(canonical_order("WEB-7"), key="second-key")

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"] == first_order.pk
    assert second.json()["status_url"] == f"/api/v1/orders/{first_order.pk}"
    assert second["Location"] == f"/api/v1/orders/{first_order.pk}"
    assert "Idempotent-Replayed" not in second
    assert counts() == {"orders": 1, "lines": 1, "transactions": 1, "events": 1}
    assert SyncTransaction.objects.count() == 1
    assert order_snapshot(first_order) == stored  # still the first key, body and correlation
    assert callbacks == []
    assert len(published) == 1


def test_given_same_order_number_with_changed_content_then_the_stored_order_is_not_changed(
    post_order,
):
    post_order(canonical_order("WEB-7"), key="first-key")
    order = Order.objects.get()
    stored = order_snapshot(order)
    changed = canonical_order("WEB-7")
    changed["ship_to"]["city"] = "Dayton"

    response = post_order(changed, key="second-key")

    assert response.status_code == 200
    assert response.json()["id"] == order.pk
    assert order_snapshot(order) == stored
    assert Order.objects.get().ship_to_city == "Columbus"


def test_given_two_channels_with_the_same_order_number_then_two_orders(
    post_order, channel, other_channel, counts
):
    first = post_order(canonical_order("SHARED-1"), key="k")
    second = post_order(canonical_order("SHARED-1"), key="k", api_key=other_channel.api_key)

    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]
    assert counts() == {"orders": 2, "lines": 2, "transactions": 2, "events": 2}
    owners = dict(Order.objects.values_list("pk", "channel__code"))
    assert owners == {first.json()["id"]: "web-shop", second.json()["id"]: "pos-shop"}
    assert {tx.partner_id for tx in SyncTransaction.objects.all()} == {
        channel.pk,
        other_channel.pk,
    }


def test_given_two_api_clients_of_one_channel_with_the_same_key_then_keys_do_not_collide(
    post_order, channel
):
    _, second_key = issue_api_key(channel, "second system")

    first = post_order(canonical_order("WEB-A"), key="k")
    second = post_order(canonical_order("WEB-B"), key="k", api_key=second_key)

    assert first.status_code == second.status_code == 202
    assert Order.objects.count() == 2


def test_given_a_replayed_key_then_no_second_transaction_or_event_is_written(post_order):
    raw = json.dumps(canonical_order()).encode()
    for _ in range(3):
        assert post_order(raw, key="same").status_code == 202

    assert Order.objects.count() == 1
    assert SyncTransaction.objects.count() == 1
    assert TransactionEvent.objects.count() == 1
