"""JSON a parser must not trust: nesting past SYNC_MAX_JSON_DEPTH and keys given twice.

Both are refused with 400 problem JSON before anything is validated or stored,
on the REST intake and on the Shopify webhook (after its signature holds).
"""

import json

import pytest

from syncplatform.core.json_bodies import nesting_depth
from syncplatform.orders.models import Order
from tests.orders.conftest import shopify_signature
from tests.support.orders import canonical_order
from tests.support.processes import REPO

pytestmark = pytest.mark.django_db

# About 20 KB of brackets: Python's recursive JSON parser raises RecursionError on it.
DEEP_BODY = b"[" * 10_000 + b"]" * 10_000
SHOPIFY_BODY = (
    REPO / "tests/connectors/channels/fixtures/shopify_orders_create_usd.json"
).read_bytes()
WEBHOOK_URL = "/api/v1/webhooks/shopify/web-shop/orders-create"


@pytest.fixture
def deliver(api, channel):
    """POST ``raw`` to the web-shop channel's Shopify webhook, correctly signed."""

    def post(raw: bytes, webhook_id: str = "webhook-1"):
        return api.post(
            WEBHOOK_URL,
            raw,
            content_type="application/json",
            headers={
                "X-Shopify-Hmac-Sha256": shopify_signature(raw),
                "X-Shopify-Webhook-Id": webhook_id,
            },
        )

    return post


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def with_duplicate(raw: str, key_text: str, duplicate: str) -> bytes:
    """``raw`` JSON with ``duplicate`` inserted right after the first ``key_text``'s value."""
    at = raw.index(key_text)
    end = raw.index(",", at)
    return (raw[:end] + ", " + duplicate + raw[end:]).encode()


def test_given_20kb_of_nested_brackets_when_posted_then_400_and_nothing_stored(
    post_order, counts, assert_problem
):
    before = counts()

    response = post_order(DEEP_BODY)

    problem = assert_problem(response, 400, "json-too-deep")
    assert "errors" not in problem
    assert "10000 levels" in problem["detail"]
    assert counts() == before


def test_given_20kb_of_nested_brackets_in_a_signed_webhook_then_400_and_nothing_stored(
    deliver, counts, assert_problem
):
    before = counts()

    response = deliver(DEEP_BODY)

    problem = assert_problem(response, 400, "json-too-deep")
    assert "errors" not in problem
    assert counts() == before


def test_given_an_order_nested_at_the_limit_then_accepted_and_one_deeper_refused(
    post_order, settings, counts, assert_problem
):
    settings.SYNC_MAX_JSON_DEPTH = 5
    # The order object is level 1, so "notes" adds its own levels under it.
    at_limit = canonical_order("WEB-1", notes=nested(4))
    too_deep = canonical_order("WEB-2", notes=nested(5))
    assert nesting_depth(json.dumps(at_limit)) == 5

    assert post_order(at_limit, key="at-limit").status_code == 202
    before = counts()
    response = post_order(too_deep, key="too-deep")

    problem = assert_problem(response, 400, "json-too-deep")
    assert problem["detail"] == "arrays and objects nest 6 levels deep; at most 5 are accepted"
    assert counts() == before


def test_given_brackets_inside_strings_then_they_do_not_count_as_nesting(post_order, settings):
    settings.SYNC_MAX_JSON_DEPTH = 3
    order = canonical_order(channel_order_number='WEB-[[[[{{{{"]]]]')

    assert post_order(order).status_code == 202


def test_given_a_key_twice_in_a_line_when_posted_then_400_naming_it_and_nothing_stored(
    post_order, counts, assert_problem
):
    raw = with_duplicate(json.dumps(canonical_order()), '"sku"', '"sku": "MUG-WHT-12OZ"')
    before = counts()

    response = post_order(raw)

    problem = assert_problem(response, 400, "duplicate-json-key", fields=["lines[0].sku"])
    assert problem["errors"][0]["message"] == "appears more than once in the same object"
    assert counts() == before


def test_given_a_duplicated_order_number_then_400_and_the_accepted_order_is_untouched(
    post_order, counts, assert_problem
):
    assert post_order(canonical_order("WEB-1"), key="first").status_code == 202
    first = Order.objects.get()
    before = counts()
    raw = with_duplicate(
        json.dumps(canonical_order("WEB-2")),
        '"channel_order_number"',
        '"channel_order_number": "WEB-1"',
    )

    response = post_order(raw, key="second")

    assert_problem(response, 400, "duplicate-json-key", fields=["channel_order_number"])
    assert counts() == before
    again = Order.objects.get()
    assert (again.pk, again.idempotency_key, again.updated_at) == (
        first.pk,
        "first",
        first.updated_at,
    )


def test_given_a_key_twice_in_a_signed_webhook_then_400_naming_it_and_nothing_stored(
    deliver, counts, assert_problem
):
    raw = with_duplicate(SHOPIFY_BODY.decode(), '"total_price"', '"total_price": "0.01"')
    before = counts()

    response = deliver(raw)

    assert_problem(response, 400, "duplicate-json-key", fields=["total_price"])
    assert counts() == before


def test_given_nan_for_a_number_when_posted_then_400_malformed_json(post_order, assert_problem):
    raw = json.dumps(canonical_order()).replace('"quantity": 2', '"quantity": NaN')

    problem = assert_problem(post_order(raw), 400, "malformed-json")
    assert "NaN" in problem["detail"]
