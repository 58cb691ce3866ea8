"""An unexpected error while storing an order: 500 problem JSON and no half-stored order."""

import pytest
from rest_framework.test import APIClient

from syncplatform.orders.signals import order_accepted
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db


def test_given_a_crash_after_the_order_rows_when_posted_then_500_and_nothing_kept(
    monkeypatch, channel, counts, published, assert_problem, django_capture_on_commit_callbacks
):
    # given: the order, its lines, transaction and event are written (one statement),
    # then the news of the order (the available-to-sell mark) fails before the commit
    def broken_send(**arguments):
        raise RuntimeError("simulated crash after the order rows, before the commit")

    monkeypatch.setattr(order_accepted, "send", broken_send)
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
