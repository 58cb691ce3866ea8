"""An unexpected error while storing an order: 500 problem JSON and no half-stored order."""

import pytest
from rest_framework.test import APIClient

from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db


def test_given_a_crash_after_the_order_row_when_posted_then_500_and_nothing_kept(
    monkeypatch, channel, counts, published, assert_problem, django_capture_on_commit_callbacks
):
    def broken_open_transaction(**fields):
        raise RuntimeError("simulated crash between the order rows and the transaction")

    monkeypatch.setattr("syncplatform.orders.services.open_transaction", broken_open_transaction)
    api = APIClient(raise_request_exception=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            "/api/v1/orders",
            canonical_order(),
            format="json",
            headers={"Authorization": f"Bearer {channel.api_key}", "Idempotency-Key": "k"},
        )

    problem = assert_problem(response, 500, "internal-error")
    assert "simulated crash" not in response.content.decode()  # no internals leak out
    assert "correlation_id" in problem["detail"]
    assert counts() == {"orders": 0, "lines": 0, "transactions": 0, "events": 0}
    assert callbacks == []
    assert published == []
