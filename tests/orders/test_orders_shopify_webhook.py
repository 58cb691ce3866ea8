"""POST /api/v1/webhooks/shopify/<channel>/orders-create: signed Shopify orders become orders.

Every signed JSON body is kept verbatim and answered 2xx; one that is not a
complete order is held (test_orders_shopify_gaps.py follows it to its order).
"""

import copy
import json
from decimal import Decimal

import pytest

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.orders.models import ChannelOrderReceipt, Order, OrderLine

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "shopify-test-secret"  # the channel fixture's secret (conftest)
WEBHOOK_ID = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"

# A small tax-exclusive orders/create body written for these tests: 2 x 19.99 + 3.20 tax
# + 7.95 shipping = 51.13.
SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "created_at": "2026-11-23T05:15:00-05:00",
    "currency": "USD",
    "taxes_included": False,
    "email": "pat@example.com",
    "total_line_items_price": "39.98",
    "total_tax": "3.20",
    "total_price": "51.13",
    "customer": {"id": 115310627314723954, "first_name": "Pat", "last_name": "Doe"},
    "line_items": [
        {
            "id": 866550311766439020,
            "variant_id": 808950810,
            "title": "T-shirt",
            "sku": "TSHIRT-BLK-M",
            "quantity": 2,
            "price": "19.99",
            "tax_lines": [{"title": "OH Sales Tax", "price": "3.20", "rate": 0.08}],
            "discount_allocations": [],
        }
    ],
    "shipping_lines": [
        {"code": "GROUND", "title": "Ground", "price": "7.95", "tax_lines": []},
    ],
    "shipping_address": {
        "name": "Pat Doe",
        "address1": "1 Main St",
        "address2": "",
        "city": "Columbus",
        "province_code": "OH",
        "zip": "43004",
        "country_code": "US",
        "phone": "+1 614 555 0100",
    },
}


def shopify_order(**changes) -> dict:
    order = copy.deepcopy(SHOPIFY_ORDER)
    order.update(changes)
    return order


@pytest.fixture
def deliver(api, sign_shopify, channel, other_channel):
    """POST a webhook body as Shopify does to ``web-shop`` or ``pos-shop``.

    ``signature="sign"`` signs with ``secret``; ``None`` leaves the header out.
    """

    def post(
        body,
        *,
        channel_code: str = "web-shop",
        webhook_id: str | None = WEBHOOK_ID,
        signature: str | None = "sign",
        secret: str = WEBHOOK_SECRET,
        headers: dict | None = None,
    ):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        request_headers = {"X-Shopify-Topic": "orders/create"}
        if signature == "sign":
            request_headers["X-Shopify-Hmac-Sha256"] = sign_shopify(raw, secret)
        elif signature is not None:
            request_headers["X-Shopify-Hmac-Sha256"] = signature
        if webhook_id is not None:
            request_headers["X-Shopify-Webhook-Id"] = webhook_id
        request_headers.update(headers or {})
        return api.post(
            f"/api/v1/webhooks/shopify/{channel_code}/orders-create",
            raw,
            content_type="application/json",
            headers=request_headers,
        )

    return post


@pytest.fixture
def refused(deliver, counts, published, assert_problem):
    def check(body, status: int, slug: str, fields: list[str] | None = None, **options):
        before = counts()
        response = deliver(body, **options)
        problem = assert_problem(response, status, slug, fields=fields)
        assert counts() == before
        assert published == []
        return problem

    return check


def test_given_a_signed_webhook_when_delivered_then_202_and_the_order_is_stored(
    deliver, channel, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(shopify_order())

    assert response.status_code == 202
    order = Order.objects.get()
    assert response.json() == {
        "id": order.pk,
        "status": "received",
        "correlation_id": response["X-Correlation-ID"],
        "status_url": f"/api/v1/orders/{order.pk}",
    }
    assert response["Location"] == f"/api/v1/orders/{order.pk}"
    assert order.channel == channel
    assert order.channel_order_number == "820982911946154508"
    assert order.idempotency_scope == "shopify:web-shop"
    assert order.idempotency_key == WEBHOOK_ID
    assert order.fulfillment_location == "WEB-DC"  # the channel's default location
    assert order.customer_id == "115310627314723954"
    assert (order.ship_to_city, order.ship_to_region, order.ship_to_country) == (
        "Columbus",
        "OH",
        "US",
    )
    assert (order.shipping_method, order.shipping_amount) == ("GROUND", Decimal("7.95"))
    assert (order.subtotal, order.tax_total, order.grand_total) == (
        Decimal("39.98"),
        Decimal("3.20"),
        Decimal("51.13"),
    )
    line = OrderLine.objects.get()
    assert (line.sku, line.quantity, line.unit_price, line.tax_code) == (
        "TSHIRT-BLK-M",
        2,
        Decimal("19.99"),
        "OH Sales Tax",
    )
    tx = SyncTransaction.objects.get()
    assert (tx.business_key, tx.idempotency_key, tx.subject_id) == (
        "820982911946154508",
        WEBHOOK_ID,
        order.pk,
    )
    assert published == [("syncplatform.audit.tasks.run_transaction_task", [tx.pk])]
    receipt = ChannelOrderReceipt.objects.get()
    assert bytes(receipt.body) == json.dumps(shopify_order()).encode()
    assert (receipt.order, receipt.webhook_id, receipt.channel_order_number) == (
        order,
        WEBHOOK_ID,
        "820982911946154508",
    )
    assert receipt.correlation_id == order.correlation_id == response["X-Correlation-ID"]


def test_given_the_same_webhook_id_resent_then_replayed_and_one_order(deliver, counts):
    first = deliver(shopify_order())
    second = deliver(shopify_order())

    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert counts() == {"orders": 1, "lines": 1, "transactions": 1, "events": 1}


def test_given_the_same_shopify_order_under_another_webhook_id_then_200_existing_order(
    deliver, counts
):
    first = deliver(shopify_order())
    second = deliver(shopify_order(), webhook_id="another-delivery-id")

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert counts() == {"orders": 1, "lines": 1, "transactions": 1, "events": 1}


def test_given_the_same_webhook_id_with_another_body_then_422_and_first_kept(
    deliver, assert_problem
):
    # Shopify redelivers a webhook with its original body: this is no redelivery.
    deliver(shopify_order())

    response = deliver(shopify_order(email="someone@example.com"))

    assert_problem(response, 422, "idempotency-key-reused", fields=["Idempotency-Key"])
    assert Order.objects.get().customer_email == "pat@example.com"
    assert bytes(ChannelOrderReceipt.objects.get().body) == json.dumps(shopify_order()).encode()


def test_given_the_same_webhook_to_two_channels_then_two_orders(deliver, channel, other_channel):
    first = deliver(shopify_order(), channel_code="web-shop")
    second = deliver(shopify_order(), channel_code="pos-shop")

    assert first.status_code == second.status_code == 202
    assert Order.objects.count() == 2


def test_given_a_wrong_signature_then_401_and_nothing_stored(refused, channel, sign_shopify):
    body = json.dumps(shopify_order()).encode()
    refused(body, 401, "invalid-signature", signature=sign_shopify(body, "another-secret"))


def test_given_a_signature_of_another_body_then_401(refused, channel, sign_shopify):
    signed_for = json.dumps(shopify_order()).encode()
    tampered = json.dumps(shopify_order(total_price="0.01")).encode()
    refused(tampered, 401, "invalid-signature", signature=sign_shopify(signed_for))


@pytest.mark.parametrize("signature", [None, "", "not base64 !!", "c2hvcnQ=", "ünïcode"])
def test_given_a_missing_or_garbled_signature_then_401(refused, channel, signature):
    refused(shopify_order(), 401, "invalid-signature", signature=signature)


def test_given_an_unknown_channel_then_401(refused, channel):
    refused(shopify_order(), 401, "invalid-signature", channel_code="no-such-shop")


def test_given_a_channel_without_a_webhook_secret_then_401(refused, new_channel):
    new_channel("secretless", webhook_secret="")
    # Signed with an empty key: must not count as "matches the (missing) secret".
    refused(shopify_order(), 401, "invalid-signature", channel_code="secretless", secret="")


def test_given_an_inactive_channel_then_401(refused, channel):
    channel.is_active = False
    channel.save()
    refused(shopify_order(), 401, "invalid-signature")


def test_given_a_non_channel_partner_code_then_401(refused, channel, erp_partner):
    refused(shopify_order(), 401, "invalid-signature", channel_code=erp_partner.code)


def test_given_no_webhook_id_then_400_naming_the_header(refused, channel):
    refused(
        shopify_order(),
        400,
        "webhook-id-required",
        ["X-Shopify-Webhook-Id"],
        webhook_id=None,
    )


def test_given_an_overlong_webhook_id_then_400(refused, channel):
    refused(
        shopify_order(), 400, "webhook-id-required", ["X-Shopify-Webhook-Id"], webhook_id="w" * 256
    )


def test_given_a_signed_body_that_is_not_json_then_400(refused, channel):
    refused(b'{"id": 1,', 400, "malformed-json")


@pytest.fixture
def held(deliver, counts, published, django_capture_on_commit_callbacks):
    """Deliver ``body``: check it is kept verbatim and held, run its intake; the failed tx."""

    def check(body, message: str, **options):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()

        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(raw, **options)

        assert response.status_code == 202, response.content
        receipt = ChannelOrderReceipt.objects.get()
        tx = SyncTransaction.objects.get()
        assert response.json() == {
            "receipt_id": receipt.pk,
            "status": "held",
            "correlation_id": response["X-Correlation-ID"],
            "detail": f"kept as receipt {receipt.pk}; not an order yet: transaction "
            f"{tx.pk} names what is missing",
        }
        assert bytes(receipt.body) == raw
        assert receipt.order is None
        assert (tx.kind, tx.state, tx.subject_id) == (
            "channel.order.intake",
            "received",
            receipt.pk,
        )
        assert published == [("syncplatform.audit.tasks.run_transaction_task", [tx.pk])]
        tx = run_transaction(tx.pk)
        assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "order_incomplete")
        assert tx.last_error_message == message
        assert counts() == {"orders": 0, "lines": 0, "transactions": 1, "events": 3}
        return tx

    return check


@pytest.mark.parametrize(
    ("change", "gap"),
    [
        ({"currency": "ZZZ"}, "currency: 'ZZZ' is not an ISO 4217 currency code"),
        ({"line_items": []}, "Shopify field line_items: an order needs at least one line item"),
        (
            {"total_price": "60.00"},
            "Shopify field total_price: is 60.00 but the mapped order adds up to different"
            " totals (subtotal 39.98, tax 3.20, shipping 7.95, discount 0.00, grand_total 51.13);"
            " tips, duties or fees are not mapped",
        ),
        (
            {"total_line_items_price": "10.00"},
            "Shopify field total_line_items_price: is 10.00 but line_items add up to 39.98"
            " (price x quantity)",
        ),
        (
            {"shipping_address": None},
            "Shopify field shipping_address: missing, and there is no billing_address either",
        ),
    ],
)
def test_given_an_unmappable_payload_then_202_held_and_a_failed_transaction_names_it(
    held, channel, change, gap
):
    tx = held(
        shopify_order(**change),
        f"order 820982911946154508 from web-shop cannot become an order: {gap}",
    )

    assert tx.business_key == "820982911946154508"


def test_given_an_order_without_id_then_held_as_a_receipt_without_number(held, channel):
    tx = held(
        shopify_order(id=None),
        "order without an id from web-shop cannot become an order: Shopify field id: missing",
    )

    receipt = ChannelOrderReceipt.objects.get()
    assert receipt.channel_order_number == ""
    assert tx.business_key == f"receipt {receipt.pk}"


def test_given_a_bad_line_item_then_held_naming_its_path(held, channel):
    body = shopify_order()
    body["line_items"][0]["quantity"] = 0

    held(
        body,
        "order 820982911946154508 from web-shop cannot become an order: Shopify field"
        " line_items[0].quantity: must be between 1 and 1000000, got 0",
    )


def test_given_a_payload_that_is_not_an_object_then_held(held, channel):
    held(
        b"[]",
        "order without an id from web-shop cannot become an order: Shopify field body:"
        " expected a JSON object, got an array",
    )


def test_given_a_guest_checkout_then_accepted_with_a_blank_customer_id(deliver, channel):
    # Guest checkouts carry no customer; the channel's default sold-to covers them in the ERP.
    response = deliver(shopify_order(customer=None))

    assert response.status_code == 202, response.content
    order = Order.objects.get()
    assert order.customer_id == ""
    assert order.customer_name == "Pat Doe"


def test_given_a_body_over_the_size_limit_then_413(refused, channel, settings):
    raw = json.dumps(shopify_order()).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(raw) - 1
    refused(raw, 413, "body-too-large")
