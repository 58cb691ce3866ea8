"""GET /api/v1/orders/{id}: status, ERP document number, lines shipped and last events."""

import pytest

from syncplatform.orders.models import Order, OrderLine
from tests.support.orders import canonical_order, with_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(post_order) -> Order:
    lines = [
        {
            "line_number": 1,
            "sku": "TSHIRT-BLK-M",
            "quantity": 2,
            "unit_price": "19.99",
            "tax_code": "TX-APPAREL",
            "tax_amount": "3.20",
        },
        {
            "line_number": 2,
            "sku": "MUG-WHT",
            "quantity": 3,
            "unit_price": "12.50",
            "tax_code": "TX-HOME",
            "tax_amount": "2.25",
        },
    ]
    response = post_order(with_lines(canonical_order("WEB-42"), lines))
    assert response.status_code == 202
    return Order.objects.get(pk=response.json()["id"])


@pytest.fixture
def get_status(api, channel):
    def get(order_id: int, api_key: str | None = None):
        return api.get(
            f"/api/v1/orders/{order_id}",
            headers={"Authorization": f"Bearer {api_key or channel.api_key}"},
        )

    return get


def test_given_a_received_order_when_its_owner_asks_then_status_lines_and_events(
    accepted, get_status
):
    response = get_status(accepted.pk)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == accepted.pk
    assert body["channel_order_number"] == "WEB-42"
    assert body["status"] == "received"
    assert body["erp_document_number"] == ""
    assert body["correlation_id"] == accepted.correlation_id
    assert body["last_error"] is None
    assert body["lines"] == [
        {"line_number": 1, "sku": "TSHIRT-BLK-M", "quantity": 2, "quantity_shipped": 0},
        {"line_number": 2, "sku": "MUG-WHT", "quantity": 3, "quantity_shipped": 0},
    ]
    assert [(e["kind"], e["state"]) for e in body["events"]] == [("received", "received")]
    assert body["events"][0]["message"] == "order WEB-42 received from web-shop"
    assert body["events"][0]["at"]


def test_given_the_status_url_from_the_202_when_followed_then_it_answers(post_order, api, channel):
    accepted = post_order(canonical_order())
    response = api.get(
        accepted.json()["status_url"], headers={"Authorization": f"Bearer {channel.api_key}"}
    )
    assert response.status_code == 200
    assert response.json()["id"] == accepted.json()["id"]


def test_given_a_posted_and_partly_shipped_order_then_document_number_and_shipped_quantities(
    accepted, get_status
):
    tx = accepted.erp_transaction
    tx.start_attempt(lease_seconds=60)
    accepted.mark_posted("0004500123")
    tx.succeed("sales order 0004500123 created in the ERP")
    OrderLine.objects.filter(order=accepted, line_number=2).update(quantity_shipped=1)

    body = get_status(accepted.pk).json()

    assert body["status"] == "posted"
    assert body["erp_document_number"] == "0004500123"
    assert body["last_error"] is None
    assert [(ln["line_number"], ln["quantity_shipped"]) for ln in body["lines"]] == [(1, 0), (2, 1)]
    assert [(e["kind"], e["state"]) for e in body["events"]] == [
        ("received", "received"),
        ("attempt.started", "processing"),
        ("attempt.succeeded", "succeeded"),
    ]
    assert body["events"][-1]["message"] == "sales order 0004500123 created in the ERP"


def test_given_a_failed_posting_then_status_failed_with_last_error(accepted, get_status):
    tx = accepted.erp_transaction
    tx.start_attempt(lease_seconds=60)
    tx.fail("mapping_missing", "no SKU mapping for MUG-WHT")

    body = get_status(accepted.pk).json()

    assert body["status"] == "failed"
    assert body["last_error"] == "mapping_missing: no SKU mapping for MUG-WHT"
    assert body["erp_document_number"] == ""
    assert body["events"][-1] == {
        "at": body["events"][-1]["at"],
        "kind": "failed",
        "state": "failed",
        "message": "mapping_missing: no SKU mapping for MUG-WHT",
    }


def test_given_a_retrying_posting_then_status_still_received_with_last_error(accepted, get_status):
    from datetime import timedelta

    tx = accepted.erp_transaction
    tx.start_attempt(lease_seconds=60)
    tx.schedule_retry("erp_unavailable", "connection refused", delay=timedelta(seconds=30))

    body = get_status(accepted.pk).json()

    assert body["status"] == "received"
    assert body["last_error"] == "erp_unavailable: connection refused"


def test_given_many_events_then_only_the_last_twenty_are_listed_oldest_first(accepted, get_status):
    from datetime import timedelta

    tx = accepted.erp_transaction
    for attempt in range(12):
        tx.start_attempt(lease_seconds=60)
        tx.schedule_retry("erp_timeout", f"attempt {attempt + 1}", delay=timedelta(0))
    tx.refresh_from_db()
    assert tx.events.count() == 1 + 12 * 3

    events = get_status(accepted.pk).json()["events"]

    assert len(events) == 20
    assert events[-1]["kind"] == "retry.scheduled"
    assert events[-2]["message"] == "erp_timeout: attempt 12"
    times = [event["at"] for event in events]
    assert times == sorted(times)


def test_given_another_channels_key_when_asking_then_404_problem(
    accepted, get_status, other_channel, assert_problem
):
    response = get_status(accepted.pk, api_key=other_channel.api_key)

    problem = assert_problem(response, 404, "not-found")
    assert problem["detail"] == f"no order {accepted.pk} for this channel"
    assert "WEB-42" not in response.content.decode()


def test_given_an_unknown_order_id_when_asking_then_404_problem(get_status, assert_problem):
    assert_problem(get_status(987654321), 404, "not-found")


def test_given_no_api_key_when_asking_then_401(accepted, api, assert_problem):
    response = api.get(f"/api/v1/orders/{accepted.pk}")

    assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="syncplatform"'


def test_given_a_non_numeric_id_then_404_problem_not_html(api, channel, assert_problem):
    response = api.get("/api/v1/orders/abc", headers={"Authorization": f"Bearer {channel.api_key}"})
    problem = assert_problem(response, 404, "not-found")
    assert problem["detail"] == "no API resource at /api/v1/orders/abc"


def test_given_a_method_the_order_does_not_offer_then_405_problem_with_allow(
    accepted, api, channel, assert_problem
):
    response = api.delete(
        f"/api/v1/orders/{accepted.pk}", headers={"Authorization": f"Bearer {channel.api_key}"}
    )

    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response["Allow"]
    assert Order.objects.filter(pk=accepted.pk).exists()
