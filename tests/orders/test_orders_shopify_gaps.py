"""Signed Shopify webhooks that are not complete orders: kept, named, fixed, retried once.

Each shape is one real shops send, with a gap a channel default fills. The
webhook is answered 202 and kept verbatim; its ``channel.order.intake``
transaction fails naming the gap in an operator's words; redeliveries add
nothing; once the channel config is fixed, "Retry now" makes exactly one order
and one ERP posting, and later deliveries find that order.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction, resolve_transaction
from syncplatform.orders.models import (
    CHANNEL_ORDER_INTAKE,
    ERP_ORDER_POST,
    ChannelOrderReceipt,
    Order,
)
from syncplatform.partners.models import ChannelConfig
from tests.connectors.channels.shopify_bodies import (
    draft_order_for_pickup,
    order_2020,
    order_2025,
    order_in_presentment_currency,
    order_taxes_included,
    order_with_discounts,
    without_shipping,
)
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db

RUN_TASK = "syncplatform.audit.tasks.run_transaction_task"
NO_SHIPPING_LINE = "no shipping line; set a default shipping method for channel web-shop"
EMPTY_ADDRESS = (
    "ship-to address line 1 is empty; ship-to city is empty; ship-to postal code is empty"
)
EMPTY_ADDRESS_HINT = (
    ". For a pickup or digital order, set an empty-address text on channel web-shop"
)


@pytest.fixture
def deliver(api, sign_shopify, channel, django_capture_on_commit_callbacks):
    """POST ``raw`` to web-shop's webhook as Shopify does; after-commit publishes run."""

    def post(raw: bytes, webhook_id: str, api_version: str = "2025-01"):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(
                "/api/v1/webhooks/shopify/web-shop/orders-create",
                raw,
                content_type="application/json",
                headers={
                    "X-Shopify-Topic": "orders/create",
                    "X-Shopify-Hmac-Sha256": sign_shopify(raw),
                    "X-Shopify-Webhook-Id": webhook_id,
                    "X-Shopify-API-Version": api_version,
                },
            )

    return post


@pytest.fixture
def retry(admin_user, django_capture_on_commit_callbacks):
    """ "Retry now" on a failed transaction, then the worker's attempt at it."""

    def run(tx: SyncTransaction) -> SyncTransaction:
        with django_capture_on_commit_callbacks(execute=True):
            replay_transaction(tx.pk, actor=admin_user, reason="channel defaults set")
        with django_capture_on_commit_callbacks(execute=True):
            return run_transaction(tx.pk)

    return run


def configure(channel, **defaults) -> None:
    ChannelConfig.objects.filter(partner=channel).update(**defaults)


def stored() -> dict[str, int]:
    return {
        "receipts": ChannelOrderReceipt.objects.count(),
        "orders": Order.objects.count(),
        "intakes": SyncTransaction.objects.filter(kind=CHANNEL_ORDER_INTAKE).count(),
        "postings": SyncTransaction.objects.filter(kind=ERP_ORDER_POST).count(),
    }


def intake_attempt() -> SyncTransaction:
    """The worker's attempt at the one intake transaction."""
    return run_transaction(SyncTransaction.objects.get(kind=CHANNEL_ORDER_INTAKE).pk)


def gap_message(body: dict, gaps: str) -> str:
    return f"order {body['id']} from web-shop cannot become an order: {gaps}"


def body_without_shipping_in_cad() -> dict:
    body = order_in_presentment_currency()
    body.update(shipping_lines=[], total_price="13.38", total_price_set=None)
    body.pop("total_shipping_price_set")
    return body


def body_without_skus() -> dict:
    body = without_shipping(order_2025())
    body["line_items"][0]["sku"] = ""
    body["line_items"][1]["sku"] = None
    return body


@dataclass(frozen=True)
class Shape:
    body: dict
    gaps: str
    fix: dict
    order: dict
    before: dict = field(default_factory=dict)
    lines: list[tuple] = field(default_factory=list)  # (sku, unit price, tax, discount)


SHAPES = {
    "no shipping lines": Shape(
        body=without_shipping(order_2025()),
        gaps=NO_SHIPPING_LINE,
        fix={"default_shipping_method": "GROUND"},
        order={"shipping_method": "GROUND", "shipping_amount": Decimal("0.00")},
    ),
    "empty address fields": Shape(
        body=draft_order_for_pickup(),
        gaps=EMPTY_ADDRESS + EMPTY_ADDRESS_HINT,
        fix={"empty_address_text": "PICKUP"},
        order={
            "ship_to_name": "Wing Chan",
            "ship_to_line1": "PICKUP",
            "ship_to_city": "PICKUP",
            "ship_to_postal_code": "PICKUP",
            "ship_to_country": "HK",
            "shipping_method": "Store pickup",
        },
    ),
    "empty address fields and no shipping line": Shape(
        body=draft_order_for_pickup(shipping_lines=[]),
        gaps=f"{EMPTY_ADDRESS}; {NO_SHIPPING_LINE}{EMPTY_ADDRESS_HINT}",
        fix={"empty_address_text": "PICKUP", "default_shipping_method": "PICKUP"},
        order={"ship_to_line1": "PICKUP", "shipping_method": "PICKUP"},
    ),
    "line items without SKU": Shape(
        body=body_without_skus(),
        gaps=NO_SHIPPING_LINE,
        fix={"default_shipping_method": "GROUND"},
        order={},
        lines=[
            ("shopify-variant:44001", "19.99", "2.52", "4.00"),
            ("shopify-variant:44002", "12.50", "0.88", "0.00"),
        ],
    ),
    "discount applications and allocations": Shape(
        body=order_with_discounts(),
        before={"default_location": ""},
        gaps="no fulfilment location; set a default location for channel web-shop",
        fix={"default_location": "WEB-DC"},
        order={
            "fulfillment_location": "WEB-DC",
            "shipping_amount": Decimal("0.00"),
            "discount_total": Decimal("5.25"),
            "grand_total": Decimal("50.63"),
        },
        lines=[
            ("TSHIRT-BLK-M", "19.99", "2.52", "4.00"),
            ("MUG-WHT", "12.50", "0.88", "1.25"),
        ],
    ),
    "tax-inclusive prices": Shape(
        body=order_taxes_included(),
        gaps=NO_SHIPPING_LINE,
        fix={"default_shipping_method": "PICKUP"},
        order={
            "currency": "EUR",
            "customer_id": "",
            "ship_to_line1": "Damrak 1",
            "tax_total": Decimal("5.20"),
            "grand_total": Decimal("29.97"),
        },
        lines=[("SCARF-RED", "8.26", "5.20", "0.01")],
    ),
    "presentment currency other than the shop's": Shape(
        body=body_without_shipping_in_cad(),
        gaps=NO_SHIPPING_LINE,
        fix={"default_shipping_method": "GROUND"},
        order={"currency": "USD", "grand_total": Decimal("13.38")},
        lines=[("MUG-WHT", "12.50", "0.88", "0.00")],
    ),
    "API 2020-04 body": Shape(
        body=without_shipping(order_2020()),
        gaps=NO_SHIPPING_LINE,
        fix={"default_shipping_method": "GROUND"},
        order={"grand_total": Decimal("51.88"), "discount_total": Decimal("4.00")},
    ),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_given_a_shape_with_a_gap_then_kept_named_and_after_the_fix_one_order_once(
    deliver, retry, channel, published, shape
):
    # given
    configure(channel, **shape.before)
    raw = json.dumps(shape.body).encode()

    # when
    first = deliver(raw, "wh-1")
    tx = intake_attempt()

    # then: answered 2xx, kept byte for byte, the gap named
    assert first.status_code == 202, first.content
    receipt = ChannelOrderReceipt.objects.get()
    assert first.json() == {
        "receipt_id": receipt.pk,
        "status": "held",
        "correlation_id": first["X-Correlation-ID"],
        "detail": f"kept as receipt {receipt.pk}; not an order yet: transaction {tx.pk} "
        "names what is missing",
    }
    assert (bytes(receipt.body), receipt.api_version) == (raw, "2025-01")
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "order_incomplete")
    assert tx.last_error_message == gap_message(shape.body, shape.gaps)
    assert published == [(RUN_TASK, [tx.pk])]

    # a redelivery is a replay; the same order under another webhook id is that receipt
    again = deliver(raw, "wh-1")
    other = deliver(raw, "wh-2")
    assert (again.status_code, again["Idempotent-Replayed"]) == (202, "true")
    assert again.json() == first.json()
    assert (other.status_code, other.json()) == (200, first.json())
    assert stored() == {"receipts": 2, "orders": 0, "intakes": 1, "postings": 0}
    assert ChannelOrderReceipt.objects.get(webhook_id="wh-2").duplicate_of == receipt

    # when the channel is fixed and the transaction retried
    configure(channel, **shape.fix)
    tx = retry(tx)

    # then: one order, one ERP posting, published once
    assert tx.state == TransactionState.SUCCEEDED, tx.last_error_message
    order = Order.objects.get()
    posting = SyncTransaction.objects.get(kind=ERP_ORDER_POST)
    assert (posting.subject_id, posting.state) == (order.pk, TransactionState.RECEIVED)
    assert published[-1] == (RUN_TASK, [posting.pk])
    assert (order.channel_order_number, order.idempotency_key) == (str(shape.body["id"]), "wh-1")
    assert order.correlation_id == first["X-Correlation-ID"]
    assert {name: getattr(order, name) for name in shape.order} == shape.order
    if shape.lines:
        assert [
            (line.sku, f"{line.unit_price}", f"{line.tax_amount}", f"{line.discount_amount}")
            for line in order.lines.all()
        ] == shape.lines
    receipt.refresh_from_db()
    assert receipt.order == order

    # and afterwards nothing repeats: a second run, redeliveries, another webhook id
    assert run_transaction(tx.pk) is None
    replayed = deliver(raw, "wh-1")
    known = deliver(raw, "wh-3")
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (202, "true")
    assert replayed.json()["id"] == known.json()["id"] == order.pk
    assert known.status_code == 200
    assert stored() == {"receipts": 3, "orders": 1, "intakes": 1, "postings": 1}


def test_given_a_2025_and_a_2020_body_then_both_held_and_both_become_the_same_order(
    deliver, retry, channel
):
    new_raw = json.dumps(without_shipping(order_2025())).encode()
    old_raw = json.dumps(without_shipping(order_2020())).encode()

    deliver(new_raw, "wh-2025", api_version="2025-01")
    deliver(old_raw, "wh-2020", api_version="2020-04")
    txs = [run_transaction(tx.pk) for tx in SyncTransaction.objects.order_by("pk")]
    configure(channel, default_shipping_method="GROUND")
    txs = [retry(tx) for tx in txs]

    assert [tx.state for tx in txs] == [TransactionState.SUCCEEDED] * 2
    receipts = ChannelOrderReceipt.objects.order_by("pk")
    assert [(r.api_version, bytes(r.body)) for r in receipts] == [
        ("2025-01", new_raw),
        ("2020-04", old_raw),
    ]
    new, old = (receipt.order for receipt in receipts)
    same = ["grand_total", "subtotal", "tax_total", "discount_total", "shipping_method"]
    assert [getattr(new, name) for name in same] == [getattr(old, name) for name in same]
    assert [(line.sku, line.unit_price) for line in new.lines.all()] == [
        (line.sku, line.unit_price) for line in old.lines.all()
    ]
    assert stored() == {"receipts": 2, "orders": 2, "intakes": 2, "postings": 2}


def test_given_every_default_missing_then_one_failure_names_every_gap(deliver, channel):
    configure(channel, default_location="")
    body = draft_order_for_pickup(shipping_lines=[])
    body["shipping_address"]["name"] = body["customer"] = None
    body["shipping_address"]["first_name"] = body["shipping_address"]["last_name"] = None

    deliver(json.dumps(body).encode(), "wh-1")

    assert intake_attempt().last_error_message == gap_message(
        body,
        "ship-to name is empty; "
        + EMPTY_ADDRESS
        + "; no fulfilment location; set a default location for channel web-shop; "
        + NO_SHIPPING_LINE
        + EMPTY_ADDRESS_HINT,
    )


def test_given_a_line_with_neither_sku_nor_variant_then_held_until_resolved(
    deliver, channel, admin_user
):
    # A custom item on a draft order: no mapping can name its material.
    body = order_2025()
    body["line_items"][1].update(sku=None, variant_id=None, title="Gift wrap")
    raw = json.dumps(body).encode()

    deliver(raw, "wh-1")
    tx = intake_attempt()
    resolve_transaction(tx.pk, actor=admin_user, reason="entered by hand as SO 4711")

    assert tx.last_error_message == gap_message(
        body,
        "Shopify field line_items[1].sku: line 'Gift wrap' has neither a SKU nor a"
        " variant_id, so no ERP material can be mapped to it",
    )
    assert bytes(ChannelOrderReceipt.objects.get().body) == raw
    assert stored() == {"receipts": 1, "orders": 0, "intakes": 1, "postings": 0}


def test_given_a_held_receipt_whose_order_came_by_rest_then_retry_adopts_that_order(
    deliver, retry, channel, post_order
):
    body = without_shipping(order_2025())
    deliver(json.dumps(body).encode(), "wh-1")
    tx = intake_attempt()
    post_order(canonical_order(str(body["id"])), key="rest-1")

    tx = retry(tx)

    order = Order.objects.get()
    assert (tx.state, order.idempotency_key) == (TransactionState.SUCCEEDED, "rest-1")
    assert ChannelOrderReceipt.objects.get().order == order
    assert stored() == {"receipts": 1, "orders": 1, "intakes": 1, "postings": 1}


def test_given_a_held_webhook_id_with_another_body_then_422_and_nothing_more_stored(
    deliver, channel, assert_problem
):
    body = without_shipping(order_2025())
    deliver(json.dumps(body).encode(), "wh-1")

    response = deliver(json.dumps({**body, "email": "x@example.com"}).encode(), "wh-1")

    assert_problem(response, 422, "idempotency-key-reused", fields=["Idempotency-Key"])
    assert stored() == {"receipts": 1, "orders": 0, "intakes": 1, "postings": 0}


def test_given_a_retry_before_the_fix_then_it_fails_again_naming_the_same_gap(
    deliver, retry, channel
):
    body = without_shipping(order_2025())
    deliver(json.dumps(body).encode(), "wh-1")

    tx = retry(intake_attempt())

    assert (tx.state, tx.attempts) == (TransactionState.FAILED, 2)
    assert tx.last_error_message == gap_message(body, NO_SHIPPING_LINE)
    assert stored() == {"receipts": 1, "orders": 0, "intakes": 1, "postings": 0}


def test_the_rest_api_still_refuses_an_order_with_an_empty_street(post_order, assert_problem):
    order = canonical_order()
    order["ship_to"]["line1"] = ""

    response = post_order(order)

    assert_problem(response, 422, "validation-error", fields=["ship_to.line1"])
    assert stored() == {"receipts": 0, "orders": 0, "intakes": 0, "postings": 0}


def test_admin_lists_held_receipts_and_shows_the_body_as_received(deliver, channel, admin_client):
    raw = json.dumps(draft_order_for_pickup()).encode()
    deliver(raw, "wh-1")
    tx = intake_attempt()
    receipt = ChannelOrderReceipt.objects.get()

    listing = admin_client.get("/admin/orders/channelorderreceipt/")
    page = admin_client.get(f"/admin/orders/channelorderreceipt/{receipt.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "held (failed)" in listing.content.decode()
    assert f"#{tx.pk} failed" in listing.content.decode()
    assert "&quot;address1&quot;: &quot;&quot;" in page.content.decode()
    assert "2025-01" in page.content.decode()
