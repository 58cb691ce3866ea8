"""Real third-party Shopify payloads from shared/samples through the webhook route.

Skipped only when the samples folder is not beside the repository; the same
route is covered on a payload written for the tests in test_orders_shopify_webhook.py.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.orders.models import ERP_ORDER_POST, ChannelOrderReceipt, Order

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
ORDER_NAMES = {  # each sample's Shopify order name
    "bag-server__orders_create_2020-12_AUD.json": "#1030",
    "shopify-app-js__rest_2026-07_order_find_450789469.json": "#1001",
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
    assert order.channel_order_name == ORDER_NAMES[name]  # what payout exports call it
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


def test_given_the_python_api_sample_then_kept_and_held_naming_total_line_items_price(
    api, channel, sign_shopify, counts
):
    raw = webhook_body(UNMAPPABLE, True)

    response = deliver(api, channel.code, raw, sign_shopify(raw), "sample-python-api")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "held"
    receipt = ChannelOrderReceipt.objects.get()
    assert bytes(receipt.body) == raw
    tx = run_transaction(SyncTransaction.objects.get().pk)
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "order_incomplete")
    assert tx.last_error_message == (
        "order 450789469 from web-shop cannot become an order: Shopify field"
        " total_line_items_price: is 398.00 but line_items add up to 597.00 (price x quantity)"
    )
    assert counts() == {"orders": 0, "lines": 0, "transactions": 1, "events": 3}


@pytest.mark.parametrize("name", list(MAPPABLE))
def test_given_a_real_sample_without_its_shipping_lines_then_held_until_a_default_is_set(
    api, channel, sign_shopify, counts, admin_user, name
):
    # Real bodies with the shipping line taken out, as pickup and digital orders come.
    is_wrapped, shopify_id = MAPPABLE[name]
    payload = json.loads(webhook_body(name, is_wrapped))
    shipping = sum(Decimal(line["price"]) for line in payload["shipping_lines"])
    payload["shipping_lines"] = []
    payload["total_price"] = str(Decimal(payload["total_price"]) - shipping)
    raw = json.dumps(payload).encode()

    response = deliver(api, channel.code, raw, sign_shopify(raw), f"sample-{shopify_id}")
    tx = run_transaction(SyncTransaction.objects.get().pk)

    assert response.status_code == 202, response.content
    assert tx.last_error_message == (
        f"order {shopify_id} from web-shop cannot become an order: no shipping line;"
        " set a default shipping method for channel web-shop"
    )
    channel.channel_config.default_shipping_method = "PICKUP"
    channel.channel_config.save()
    replay_transaction(tx.pk, actor=admin_user, reason="default shipping method set")
    tx = run_transaction(tx.pk)
    assert tx.state == TransactionState.SUCCEEDED
    order = Order.objects.get()
    assert (order.channel_order_number, order.shipping_method) == (shopify_id, "PICKUP")
    assert f"{order.grand_total:.2f}" == payload["total_price"]
    assert ChannelOrderReceipt.objects.get().order == order
    assert SyncTransaction.objects.filter(kind=ERP_ORDER_POST, subject_id=order.pk).count() == 1


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
