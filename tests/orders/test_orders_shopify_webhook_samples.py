"""Real third-party Shopify payloads from shared/samples through the webhook route.

Skipped only when the samples folder is not beside the repository; the same
route is covered on a payload written for the tests in test_orders_shopify_webhook.py.
"""

import json
from pathlib import Path

import pytest

from syncplatform.orders.models import Order

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / ".." / "shared" / "samples" / "webhooks" / "shopify"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples folder at {SAMPLES}"),
]

# name → (whether the file wraps the order in {"order": ...}, Shopify order id)
MAPPABLE = {
    "bag-server__orders_create_2020-12_AUD.json": (False, "2998557704341"),
    "shopify-app-js__rest_2026-07_order_find_450789469.json": (True, "450789469"),
}
UNMAPPABLE = "shopify_python_api__order.json"  # its totals contradict its lines
ALL_SAMPLES = [*MAPPABLE, UNMAPPABLE]


def webhook_body(name: str, is_wrapped: bool) -> bytes:
    """The raw bytes Shopify would send: the file as is, or its ``order`` re-serialised."""
    raw = (SAMPLES / name).read_bytes()
    if not is_wrapped:
        return raw
    return json.dumps(json.loads(raw)["order"]).encode()


def deliver(api, channel_code: str, raw: bytes, signature: str, webhook_id: str):
    return api.post(
        f"/api/v1/webhooks/shopify/{channel_code}/orders-create",
        raw,
        content_type="application/json",
        headers={
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Topic": "orders/create",
        },
    )


@pytest.mark.parametrize("name", list(MAPPABLE))
def test_given_a_real_mappable_sample_when_signed_then_202_and_stored(
    api, channel, sign_shopify, counts, name
):
    is_wrapped, shopify_id = MAPPABLE[name]
    raw = webhook_body(name, is_wrapped)

    response = deliver(api, channel.code, raw, sign_shopify(raw), f"sample-{shopify_id}")

    assert response.status_code == 202, response.content
    order = Order.objects.get()
    assert response.json()["id"] == order.pk
    assert order.channel_order_number == shopify_id
    assert order.idempotency_key == f"sample-{shopify_id}"
    payload = json.loads(raw)
    assert f"{order.grand_total:.2f}" == payload["total_price"]
    assert order.lines.count() == len(payload["line_items"])
    assert counts() == {
        "orders": 1,
        "lines": len(payload["line_items"]),
        "transactions": 1,
        "events": 1,
    }


@pytest.mark.parametrize("name", list(MAPPABLE))
def test_given_a_real_sample_sent_twice_then_one_order(api, channel, sign_shopify, name):
    is_wrapped, _ = MAPPABLE[name]
    raw = webhook_body(name, is_wrapped)

    first = deliver(api, channel.code, raw, sign_shopify(raw), "same-delivery")
    second = deliver(api, channel.code, raw, sign_shopify(raw), "same-delivery")

    assert (first.status_code, second.status_code) == (202, 202)
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_given_the_python_api_sample_then_422_naming_total_line_items_price(
    api, channel, sign_shopify, counts, assert_problem
):
    raw = webhook_body(UNMAPPABLE, True)

    response = deliver(api, channel.code, raw, sign_shopify(raw), "sample-python-api")

    problem = assert_problem(response, 422, "validation-error", fields=["total_line_items_price"])
    assert "398.00" in problem["errors"][0]["message"]
    assert "597.00" in problem["errors"][0]["message"]
    assert counts() == {"orders": 0, "lines": 0, "transactions": 0, "events": 0}


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_given_a_real_sample_with_a_wrong_signature_then_401_and_nothing_stored(
    api, channel, sign_shopify, counts, assert_problem, name
):
    raw = webhook_body(name, name != "bag-server__orders_create_2020-12_AUD.json")

    response = deliver(api, channel.code, raw, sign_shopify(raw, "not-the-secret"), "x-1")

    assert_problem(response, 401, "invalid-signature")
    assert counts() == {"orders": 0, "lines": 0, "transactions": 0, "events": 0}


@pytest.mark.parametrize("name", list(MAPPABLE))
def test_given_a_real_sample_altered_after_signing_then_401(
    api, channel, sign_shopify, counts, assert_problem, name
):
    is_wrapped, _ = MAPPABLE[name]
    raw = webhook_body(name, is_wrapped)
    signature = sign_shopify(raw)

    response = deliver(api, channel.code, raw.replace(b"}", b" }", 1), signature, "x-2")

    assert_problem(response, 401, "invalid-signature")
    assert counts()["orders"] == 0
