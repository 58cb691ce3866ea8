"""Shopify orders/create webhooks through the real web server, worker and sandbox ERP."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
import requests

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.models import CodeMapping, CustomerMapping, SkuMapping
from syncplatform.orders.models import (
    CHANNEL_ORDER_INTAKE,
    ERP_ORDER_POST,
    ChannelOrderReceipt,
    Order,
)
from syncplatform.partners.models import ChannelConfig
from tests.support.processes import REPO, wait_until

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).resolve().parents[1] / "connectors/channels/fixtures"
SAMPLES = REPO.parent / "shared" / "samples" / "webhooks" / "shopify"
SECRET = "shopify-test-secret"  # the demo_channel fixture's webhook secret


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(web_server, body: bytes, signature: str, webhook_id: str):
    return requests.post(
        f"{web_server}/api/v1/webhooks/shopify/demo-web/orders-create",
        data=body,
        timeout=30,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Webhook-Id": webhook_id,
        },
    )


def map_the_fixture_codes(channel):
    """What the demo mappings lack for the project's USD fixture."""
    SkuMapping.objects.create(
        channel=channel, channel_sku="MUG-WHT", erp_material="MAT-200010", erp_unit="EA"
    )
    CodeMapping.objects.create(
        channel=channel,
        code_type=CodeType.TAX,
        channel_code="OH State Tax+Franklin County Tax",
        erp_code="O1",
    )
    CustomerMapping.objects.create(
        channel=channel, channel_customer_id="7781", erp_sold_to="0000107781"
    )


def test_signed_shopify_webhook_reaches_the_erp_exactly_once(
    demo_channel, web_server, erp, start_worker
):
    body = (FIXTURE / "shopify_orders_create_usd.json").read_bytes()
    map_the_fixture_codes(demo_channel)
    start_worker()

    first = deliver(web_server, body, sign(body), "wh-0001")
    again = deliver(web_server, body, sign(body), "wh-0001")  # Shopify retries deliveries

    assert first.status_code == 202, first.text
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    order = Order.objects.get()
    assert order.channel_order_number == str(json.loads(body)["id"])
    assert order.idempotency_key == "wh-0001"
    wait_until(
        lambda: Order.objects.get(pk=order.pk).status == "posted",
        timeout=60,
        what="the webhook order to be posted",
    )
    order.refresh_from_db()
    documents = erp.documents(order.erp_reference)
    assert [d["document_number"] for d in documents] == [order.erp_document_number]


def test_webhook_without_shipping_lines_is_kept_and_after_the_fix_posted_once(
    demo_channel, web_server, erp, start_worker, admin_session
):
    # given a genuine order with no shipping line (pickup, digital), signed by the shop
    order = json.loads((FIXTURE / "shopify_orders_create_usd.json").read_bytes())
    order["shipping_lines"] = []
    order["total_price"] = "51.88"  # 60.29 without the 8.41 of shipping
    body = json.dumps(order).encode()
    map_the_fixture_codes(demo_channel)
    start_worker()

    # when Shopify delivers it (twice, as it does when unsure)
    first = deliver(web_server, body, sign(body), "wh-pickup")
    again = deliver(web_server, body, sign(body), "wh-pickup")

    # then it is answered 2xx, kept verbatim, and its transaction names the gap
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "held"
    assert (again.status_code, again.json()) == (202, first.json())
    receipt = ChannelOrderReceipt.objects.get()
    assert bytes(receipt.body) == body
    intake = SyncTransaction.objects.get(kind=CHANNEL_ORDER_INTAKE)
    wait_until(
        lambda: SyncTransaction.objects.get(pk=intake.pk).state == TransactionState.FAILED,
        timeout=60,
        what="the held webhook's intake to fail",
    )
    intake.refresh_from_db()
    assert intake.last_error_message == (
        "order 5810023456001 from demo-web cannot become an order: no shipping line;"
        " set a default shipping method for channel demo-web"
    )
    assert Order.objects.count() == 0

    # when operations set the channel's default shipping method and retry
    ChannelConfig.objects.filter(partner=demo_channel).update(default_shipping_method="GROUND")
    admin_session.run_action("audit/synctransaction", "retry_now", [intake.pk])

    # then the order is made and posted to the ERP once
    wait_until(
        lambda: Order.objects.filter(status="posted").exists(),
        timeout=60,
        what="the webhook order to be posted",
    )
    posted = Order.objects.get()
    assert (posted.channel_order_number, posted.shipping_method) == ("5810023456001", "GROUND")
    documents = erp.documents(posted.erp_reference)
    assert [d["document_number"] for d in documents] == [posted.erp_document_number]
    late = deliver(web_server, body, sign(body), "wh-pickup")
    assert (late.status_code, late.json()["id"]) == (202, posted.pk)
    assert SyncTransaction.objects.filter(kind=ERP_ORDER_POST).count() == 1
    assert SyncTransaction.objects.get(pk=intake.pk).state == TransactionState.SUCCEEDED


def _bodies_to_refuse():
    bodies = [("project fixture", (FIXTURE / "shopify_orders_create_usd.json").read_bytes())]
    if SAMPLES.is_dir():
        for path in sorted(SAMPLES.glob("*.json")):
            payload = json.loads(path.read_bytes())
            bodies.append((path.name, json.dumps(payload.get("order", payload)).encode()))
    return bodies


def test_wrong_signature_is_refused_and_stores_nothing(demo_channel, web_server):
    for name, body in _bodies_to_refuse():
        response = deliver(web_server, body, sign(body, "not-the-secret"), f"wh-{name}")
        assert response.status_code == 401, name
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["type"].endswith("/invalid-signature")
        tampered = deliver(web_server, body + b" ", sign(body), f"wh-t-{name}")
        assert tampered.status_code == 401, name
    assert Order.objects.count() == 0
    assert SyncTransaction.objects.count() == 0
    assert TransactionEvent.objects.count() == 0
