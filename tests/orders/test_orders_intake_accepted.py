"""An accepted order: the 202 answer, what is stored, and the one publish after commit."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.orders.models import ERP_ORDER_POST, Order, OrderLine
from tests.support.orders import canonical_order, with_lines

pytestmark = pytest.mark.django_db

POST_ORDER_TASK = "syncplatform.audit.tasks.run_transaction_task"
CALLER_ID = "shop-trace-2026-11-23.0001"


def test_given_the_demo_order_when_posted_then_202_with_id_status_and_location(post_order):
    response = post_order(canonical_order())

    assert response.status_code == 202
    order = Order.objects.get()
    body = response.json()
    assert body == {
        "id": order.pk,
        "status": "received",
        "correlation_id": response["X-Correlation-ID"],
        "status_url": f"/api/v1/orders/{order.pk}",
    }
    assert response["Location"] == f"/api/v1/orders/{order.pk}"
    assert response["Content-Type"] == "application/json"
    assert "Idempotent-Replayed" not in response


def test_given_the_demo_order_when_posted_then_order_and_lines_hold_its_values(post_order, channel):
    response = post_order(canonical_order(), headers={"X-Correlation-ID": CALLER_ID})
    assert response.status_code == 202

    order = Order.objects.get()
    assert order.channel == channel
    assert order.channel_order_number == "WEB-100234"
    assert order.idempotency_scope == f"apiclient:{channel.api_client.pk}"
    assert order.idempotency_key == "key-1"
    assert order.correlation_id == CALLER_ID
    assert order.status == "received"
    assert order.ordered_at == dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.UTC)
    assert order.currency == "USD"
    assert (order.customer_id, order.customer_name, order.customer_email) == (
        "C-778",
        "Pat Doe",
        "pat@example.com",
    )
    assert {
        "name": order.ship_to_name,
        "line1": order.ship_to_line1,
        "line2": order.ship_to_line2,
        "city": order.ship_to_city,
        "region": order.ship_to_region,
        "postal_code": order.ship_to_postal_code,
        "country": order.ship_to_country,
        "phone": order.ship_to_phone,
    } == canonical_order()["ship_to"]
    assert order.fulfillment_location == "STORE-017"
    assert (order.shipping_method, order.shipping_amount) == ("GROUND", Decimal("7.95"))
    assert (order.subtotal, order.tax_total, order.discount_total, order.grand_total) == (
        Decimal("39.98"),
        Decimal("3.20"),
        Decimal("0.00"),
        Decimal("51.13"),
    )
    assert order.erp_document_number == ""
    line = OrderLine.objects.get()
    assert line.order_id == order.pk
    assert (line.line_number, line.sku, line.quantity, line.quantity_shipped) == (
        1,
        "TSHIRT-BLK-M",
        2,
        0,
    )
    assert (line.unit_price, line.tax_code, line.tax_amount, line.discount_amount) == (
        Decimal("19.99"),
        "TX-APPAREL",
        Decimal("3.20"),
        Decimal("0.00"),
    )


def test_given_an_order_when_posted_then_one_received_transaction_with_its_event(
    post_order, channel
):
    post_order(canonical_order(), headers={"X-Correlation-ID": CALLER_ID})

    order = Order.objects.get()
    tx = SyncTransaction.objects.get()
    assert tx.subject_id == order.pk
    assert order.erp_transaction == tx
    assert tx.kind == ERP_ORDER_POST
    assert tx.partner_id == channel.pk
    assert tx.business_key == "WEB-100234"
    assert tx.correlation_id == CALLER_ID
    assert tx.idempotency_key == "key-1"
    assert tx.subject_id == order.pk
    assert tx.state == TransactionState.RECEIVED
    assert tx.attempts == 0
    assert tx.next_attempt_at is not None  # the sweeper's safety net if the publish is lost
    event = TransactionEvent.objects.get()
    assert event.transaction_id == tx.pk
    assert (event.kind, event.from_state, event.to_state) == (EventKind.RECEIVED, "", "received")
    assert event.message == "order WEB-100234 received from web-shop"


def test_given_several_lines_when_posted_then_each_line_is_stored_with_decimals(post_order):
    lines = [
        {
            "line_number": 10,
            "sku": "MUG-WHT",
            "quantity": 3,
            "unit_price": "12.5",
            "tax_code": "TX-HOME",
            "tax_amount": "2.25",
            "discount_amount": "1.50",
        },
        {
            "line_number": 20,
            "sku": "TSHIRT-BLK-M",
            "quantity": 1,
            "unit_price": "19.99",
            "tax_code": "TX-APPAREL",
            "tax_amount": "1.60",
        },
    ]
    response = post_order(with_lines(canonical_order(), lines))
    assert response.status_code == 202

    stored = list(
        OrderLine.objects.values_list(
            "line_number", "sku", "quantity", "unit_price", "tax_amount", "discount_amount"
        )
    )
    assert stored == [
        (10, "MUG-WHT", 3, Decimal("12.50"), Decimal("2.25"), Decimal("1.50")),
        (20, "TSHIRT-BLK-M", 1, Decimal("19.99"), Decimal("1.60"), Decimal("0.00")),
    ]
    order = Order.objects.get()
    assert order.subtotal == Decimal("57.49")
    assert order.discount_total == Decimal("1.50")
    assert order.grand_total == Decimal("67.79")  # 57.49 + 3.85 tax + 7.95 shipping - 1.50


def test_given_an_accepted_order_then_its_id_is_published_only_after_commit(
    post_order, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_order(canonical_order())
    assert response.status_code == 202
    assert published == []  # nothing reaches the broker while the transaction is open

    assert len(callbacks) == 1
    callbacks[0]()

    tx = SyncTransaction.objects.get()
    assert published == [(POST_ORDER_TASK, [tx.pk])]


@pytest.mark.parametrize(
    "body", [b"{", json.dumps(dict(canonical_order(), currency="XXX")).encode()]
)
def test_given_a_rejected_order_then_nothing_is_published(
    post_order, published, django_capture_on_commit_callbacks, body
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_order(body)
    assert response.status_code in (400, 422)
    assert callbacks == []
    assert published == []


def test_given_a_well_formed_caller_correlation_id_then_it_is_kept(post_order):
    response = post_order(canonical_order(), headers={"X-Correlation-ID": CALLER_ID})

    assert response["X-Correlation-ID"] == CALLER_ID
    assert response.json()["correlation_id"] == CALLER_ID
    assert Order.objects.get().correlation_id == CALLER_ID


@pytest.mark.parametrize(
    "offered",
    ["short", "x" * 65, "has space in it", "new\nline-injection", "<script>alert(1)</script>", ""],
)
def test_given_a_malformed_caller_correlation_id_then_a_fresh_one_replaces_it(post_order, offered):
    response = post_order(canonical_order(), headers={"X-Correlation-ID": offered})

    assert response.status_code == 202
    issued = response["X-Correlation-ID"]
    assert issued != offered
    assert len(issued) == 32 and int(issued, 16) >= 0  # a uuid4 hex
    assert response.json()["correlation_id"] == issued
    assert Order.objects.get().correlation_id == issued
    assert SyncTransaction.objects.get().correlation_id == issued


def test_given_two_requests_without_correlation_id_then_each_gets_its_own(post_order):
    first = post_order(canonical_order("WEB-1"), key="a")
    second = post_order(canonical_order("WEB-2"), key="b")

    assert first["X-Correlation-ID"] != second["X-Correlation-ID"]


def test_given_a_refused_request_then_the_problem_carries_the_callers_correlation_id(
    post_order, assert_problem
):
    response = post_order(b"{", headers={"X-Correlation-ID": CALLER_ID})

    problem = assert_problem(response, 400, "malformed-json")
    assert problem["correlation_id"] == CALLER_ID
