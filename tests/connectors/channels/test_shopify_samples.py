"""Shopify orders mapped from real third-party payloads in shared/samples (see PROVENANCE.md).

Skipped only when the samples folder is not beside the repository; the same
behaviour is covered on project-written fixtures in test_shopify_order_mapping.py.
"""

import json
from pathlib import Path

import pytest

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.shopify import to_canonical_order

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / ".." / "shared" / "samples" / "webhooks" / "shopify"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples folder at {SAMPLES}")


def read_sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_given_captured_orders_create_webhook_when_mapped_then_aud_order(canonical_totals_hold):
    body = read_sample("bag-server__orders_create_2020-12_AUD.json")
    assert "order" not in body  # a webhook body is the Order itself, not wrapped

    order = to_canonical_order(body, default_location="WEB-DC")

    assert order["channel_order_number"] == "2998557704341"
    assert order["channel_order_name"] == "#1030"
    assert order["ordered_at"] == "2020-12-27T08:23:58+11:00"
    assert order["currency"] == "AUD"
    # The shop left the SKU empty: the variant id stands in for the mapping table.
    assert [line["sku"] for line in order["lines"]] == ["shopify-variant:37319198802069"]
    assert order["lines"][0]["tax_code"] == "GST"
    assert order["shipping"] == {"method": "Standard", "amount": "10.00"}
    assert order["ship_to"]["region"] == "ACT"
    assert order["customer"]["channel_customer_id"] == "4206822293653"
    assert order["totals"]["tax"] == body["total_tax"] == "4.50"
    assert order["totals"]["grand_total"] == body["total_price"] == "59.45"
    canonical_totals_hold(order)


def test_given_shopify_reference_order_when_mapped_then_discounts_and_tax_per_line(
    canonical_totals_hold,
):
    body = read_sample("shopify-app-js__rest_2026-07_order_find_450789469.json")["order"]

    order = to_canonical_order(body, default_location="WEB-DC")

    assert order["channel_order_number"] == "450789469"
    assert order["channel_order_name"] == "#1001"
    assert order["currency"] == "USD"
    assert [line["sku"] for line in order["lines"]] == [
        "IPOD2008GREEN",
        "IPOD2008RED",
        "IPOD2008BLACK",
    ]
    # The 10.00 TENOFF code is allocated 3.34 + 3.33 + 3.33 across the lines.
    assert [line["discount_amount"] for line in order["lines"]] == ["3.34", "3.33", "3.33"]
    assert order["shipping"] == {"method": "Free Shipping", "amount": "0.00"}
    assert order["ship_to"]["region"] == "KY"
    assert order["totals"] == {
        "subtotal": "597.00",
        "tax": "11.94",
        "shipping": "0.00",
        "discount": "10.00",
        "grand_total": "598.94",
    }
    assert order["totals"]["grand_total"] == body["total_price"]
    canonical_totals_hold(order)


def test_given_old_fixture_whose_lines_disagree_with_its_totals_when_mapped_then_refused():
    # Three 199.00 items (597.00) but total_line_items_price 398.00 and total_price
    # 409.94: no mapping can honour both, so the order must reach a person.
    body = read_sample("shopify_python_api__order.json")["order"]

    with pytest.raises(ChannelPayloadError) as caught:
        to_canonical_order(body, default_location="WEB-DC")

    assert caught.value.field == "total_line_items_price"
    assert "398.00" in str(caught.value)
    assert "597.00" in str(caught.value)
