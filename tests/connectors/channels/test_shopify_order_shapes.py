"""The shapes real shops send, and what the adapter leaves for the platform to name.

A genuine order may lack a street, a city, a postal code, a shipping line or a
location: those come back ``""`` (or the channel's default). What cannot be
translated at all is refused, every problem of the body in one error.
"""

import pytest

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.shopify import order_id_of, to_canonical_order
from tests.connectors.channels.shopify_bodies import (
    draft_order_for_pickup,
    order_2020,
    order_2025,
    order_in_presentment_currency,
    order_taxes_included,
    order_with_discounts,
    without_shipping,
)


def map_order(body, **defaults) -> dict:
    return to_canonical_order(body, **{"default_location": "WEB-DC", **defaults})


# --- versions ----------------------------------------------------------------


def test_given_2025_and_2020_bodies_of_one_order_when_mapped_then_the_same_order(
    canonical_totals_hold,
):
    new, old = map_order(order_2025()), map_order(order_2020())

    assert (new.pop("channel_order_number"), old.pop("channel_order_number")) == (
        "6051234567001",
        "2998557704001",
    )
    assert (new.pop("ordered_at"), old.pop("ordered_at")) == (
        "2025-03-14T09:26:53-04:00",
        "2020-04-27T08:23:58-04:00",
    )
    assert (new.pop("channel_order_name"), old.pop("channel_order_name")) == ("#1101", "#1001")
    assert new == old
    assert new["totals"] == {
        "subtotal": "52.48",
        "tax": "3.40",
        "shipping": "7.95",
        "discount": "4.00",
        "grand_total": "59.83",
    }
    canonical_totals_hold(new)


def test_given_a_shipping_line_removed_in_2025_when_mapped_then_it_is_not_charged():
    body = without_shipping(order_2025())
    body["shipping_lines"] = [{**order_2025()["shipping_lines"][0], "is_removed": True}]

    assert map_order(body)["shipping"] == {"method": "", "amount": "0.00"}


# --- discounts ---------------------------------------------------------------


def test_given_discount_applications_when_mapped_then_their_allocations_are_booked(
    canonical_totals_hold,
):
    order = map_order(order_with_discounts())

    assert [line["discount_amount"] for line in order["lines"]] == ["4.00", "1.25"]
    assert order["shipping"] == {"method": "GROUND", "amount": "0.00"}  # FREESHIP
    assert order["totals"]["discount"] == "5.25"  # shipping discounts stay in shipping
    assert order["totals"]["grand_total"] == "50.63"
    canonical_totals_hold(order)


# --- currencies and tax ------------------------------------------------------


def test_given_a_buyer_in_another_currency_when_mapped_then_the_shop_currency_is_booked():
    order = map_order(order_in_presentment_currency())

    assert order["currency"] == "USD"
    assert order["lines"][0]["unit_price"] == "12.50"
    assert order["totals"]["grand_total"] == "21.33"  # not the buyer's 29.22 CAD


def test_given_tax_inclusive_prices_without_shipping_when_mapped_then_net_prices(
    canonical_totals_hold,
):
    order = map_order(order_taxes_included(), default_shipping_method="PICKUP")

    line = order["lines"][0]
    assert (line["unit_price"], line["tax_amount"], line["discount_amount"]) == (
        "8.26",
        "5.20",
        "0.01",
    )
    assert order["shipping"] == {"method": "PICKUP", "amount": "0.00"}
    assert order["ship_to"]["line1"] == "Damrak 1"  # the billing address stands in
    assert order["totals"]["grand_total"] == "29.97"
    canonical_totals_hold(order)


# --- what a genuine order may lack -------------------------------------------


def test_given_no_shipping_line_when_mapped_then_the_default_method_or_empty():
    body = without_shipping(order_2025())

    assert map_order(body)["shipping"] == {"method": "", "amount": "0.00"}
    assert map_order(body, default_shipping_method=" GROUND ")["shipping"] == {
        "method": "GROUND",
        "amount": "0.00",
    }


def test_given_a_shipping_line_when_mapped_then_the_default_method_is_not_used():
    order = map_order(draft_order_for_pickup(), default_shipping_method="GROUND")

    assert order["shipping"]["method"] == "Store pickup"  # code is null: the title


def test_given_empty_street_city_and_zip_when_mapped_then_empty_unless_a_text_is_set():
    body = draft_order_for_pickup()

    bare = map_order(body)["ship_to"]
    filled = map_order(body, empty_address_text="PICKUP")["ship_to"]

    assert (bare["line1"], bare["city"], bare["postal_code"]) == ("", "", "")
    assert (filled["line1"], filled["city"], filled["postal_code"]) == ("PICKUP",) * 3
    assert filled["line2"] == ""  # an optional line stays empty
    assert (filled["name"], filled["country"]) == ("Wing Chan", "HK")


def test_given_an_address_without_a_name_when_mapped_then_the_customer_names_it():
    body = draft_order_for_pickup()
    for key in ("name", "first_name", "last_name"):
        body["shipping_address"][key] = None

    assert map_order(body)["ship_to"]["name"] == "Wing Chan"


def test_given_a_line_without_sku_when_mapped_then_its_variant_stands_in():
    body = order_2025()
    body["line_items"][1]["sku"] = None

    assert map_order(body)["lines"][1]["sku"] == "shopify-variant:44002"


# --- refusals name every problem at once -------------------------------------


def test_given_several_problems_when_mapped_then_one_refusal_names_each():
    body = order_2025(customer="Pat")
    body["line_items"][0]["quantity"] = 0
    body["line_items"][1]["sku"] = body["line_items"][1]["variant_id"] = None
    body["shipping_address"]["country_code"] = "United States"

    with pytest.raises(ChannelPayloadError) as refused:
        map_order(body)

    assert [field for field, _ in refused.value.problems] == [
        "shipping_address.country_code",
        "customer",
        "line_items[0].quantity",
        "line_items[1].sku",
    ]
    assert refused.value.field == "shipping_address.country_code"
    assert str(refused.value).count("; ") == 3


def test_given_a_bad_line_when_mapped_then_the_totals_are_not_also_blamed():
    body = order_2025()
    body["line_items"][0]["price"] = "19.999"

    with pytest.raises(ChannelPayloadError) as refused:
        map_order(body)

    assert [field for field, _ in refused.value.problems] == ["line_items[0].price"]


@pytest.mark.parametrize(
    ("body", "order_id"),
    [
        ({"id": 6051234567001}, "6051234567001"),
        ({"id": "6051234567001"}, "6051234567001"),
        ({"id": None}, ""),
        ({"id": True}, ""),
        ({}, ""),
        ([], ""),
        (None, ""),
    ],
)
def test_order_id_of_reads_the_id_or_gives_empty(body, order_id):
    assert order_id_of(body) == order_id
