"""Shopify orders/create → canonical order, on the project's own fixtures."""

import copy

import pytest

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.shopify import to_canonical_order
from connectors.errors import ConfigError, PermanentError


def map_order(body: dict, **options) -> dict:
    return to_canonical_order(body, default_location=options.pop("location", "WEB-DC"), **options)


def refusal(body: object) -> ChannelPayloadError:
    with pytest.raises(ChannelPayloadError) as caught:
        map_order(body)
    return caught.value


# --- a tax-exclusive order -------------------------------------------------


def test_given_usd_order_when_mapped_then_header_fields_come_from_the_order(usd_order):
    order = map_order(usd_order)

    assert order["channel_order_number"] == "5810023456001"
    assert order["channel_order_name"] == "#2041"  # what payout exports call it
    assert order["ordered_at"] == "2026-11-23T05:15:00-05:00"
    assert order["currency"] == "USD"
    assert order["customer"] == {
        "channel_customer_id": "7781",
        "name": "Pat Doe",
        "email": "pat@example.com",
    }
    assert order["ship_to"] == {
        "name": "Pat Doe",
        "line1": "1 Main St",
        "line2": "",
        "city": "Columbus",
        "region": "OH",
        "postal_code": "43004",
        "country": "US",
        "phone": "+1 614 555 0100",
    }
    assert order["fulfillment_location"] == "WEB-DC"


@pytest.mark.parametrize("name", [None, 1001, "", " " * 3, "#" + "9" * 80])
def test_given_no_usable_order_name_when_mapped_then_name_is_empty_not_refused(usd_order, name):
    usd_order["name"] = name

    assert map_order(usd_order)["channel_order_name"] == ""


def test_given_order_name_with_spaces_when_mapped_then_stripped(usd_order):
    usd_order["name"] = " #2041 "

    assert map_order(usd_order)["channel_order_name"] == "#2041"


def test_given_usd_order_when_mapped_then_lines_carry_price_tax_and_discount(usd_order):
    order = map_order(usd_order)

    assert order["lines"] == [
        {
            "line_number": 1,
            "sku": "TSHIRT-BLK-M",
            "quantity": 2,
            "unit_price": "19.99",
            "tax_code": "OH State Tax+Franklin County Tax",
            "tax_amount": "2.52",
            "discount_amount": "4.00",
        },
        {
            "line_number": 2,
            "sku": "MUG-WHT",
            "quantity": 1,
            "unit_price": "12.50",
            "tax_code": "OH State Tax+Franklin County Tax",
            "tax_amount": "0.88",
            "discount_amount": "0.00",
        },
    ]


def test_given_discounted_taxed_shipping_when_mapped_then_amount_is_what_the_buyer_paid(
    usd_order,
):
    order = map_order(usd_order)

    # 9.95 price - 2.00 shipping discount + 0.46 tax on shipping
    assert order["shipping"] == {"method": "GROUND", "amount": "8.41"}


def test_given_usd_order_when_mapped_then_totals_add_up_to_shopify_total_price(
    usd_order, canonical_totals_hold
):
    order = map_order(usd_order)

    assert order["totals"] == {
        "subtotal": "52.48",
        "tax": "3.40",
        "shipping": "8.41",
        "discount": "4.00",
        "grand_total": "60.29",
    }
    assert order["totals"]["grand_total"] == usd_order["total_price"]
    canonical_totals_hold(order)


def test_given_same_body_twice_when_mapped_then_same_result_and_body_untouched(usd_order):
    before = copy.deepcopy(usd_order)

    assert map_order(usd_order) == map_order(usd_order)
    assert usd_order == before


# --- a tax-inclusive order -------------------------------------------------


def test_given_taxes_included_when_mapped_then_tax_is_netted_out_of_unit_prices(eur_order):
    order = map_order(eur_order)

    scarf, socks = order["lines"]
    # 3 x 9.99 = 29.97 gross, 5.20 VAT → 24.77 net; 24.77 / 3 rounds up to 8.26 and the
    # 0.01 that 3 x 8.26 adds is carried as discount.
    assert (scarf["unit_price"], scarf["tax_amount"], scarf["discount_amount"]) == (
        "8.26",
        "5.20",
        "0.01",
    )
    # 15.00 gross, 3.00 discount, VAT 2.08 on the 12.00 paid → net 12.92, revenue 9.92.
    assert (socks["unit_price"], socks["tax_amount"], socks["discount_amount"]) == (
        "12.92",
        "2.08",
        "3.00",
    )
    assert scarf["tax_code"] == socks["tax_code"] == "NL BTW"


def test_given_taxes_included_when_net_price_is_fractional_then_it_rounds_up_never_down(
    eur_order, canonical_totals_hold
):
    # 29.97 - 5.21 = 24.76 net; / 3 = 8.2533: rounding to nearest (8.25) would need a
    # negative discount, so the price rounds up to 8.26 and 3 x 0.01 - 0.01 = 0.02 is discount.
    eur_order["line_items"][0]["tax_lines"][0]["price"] = "5.21"

    order = map_order(eur_order)

    scarf = order["lines"][0]
    assert (scarf["unit_price"], scarf["tax_amount"], scarf["discount_amount"]) == (
        "8.26",
        "5.21",
        "0.02",
    )
    assert order["totals"]["grand_total"] == eur_order["total_price"] == "46.92"
    canonical_totals_hold(order)


def test_given_taxes_included_when_mapped_then_grand_total_is_shopify_total_price(
    eur_order, canonical_totals_hold
):
    order = map_order(eur_order)

    assert order["totals"] == {
        "subtotal": "37.70",
        "tax": "7.28",
        "shipping": "4.95",
        "discount": "3.01",
        "grand_total": "46.92",
    }
    assert order["totals"]["grand_total"] == eur_order["total_price"]
    canonical_totals_hold(order)


def test_given_taxes_included_when_mapped_then_shipping_keeps_its_included_tax(eur_order):
    order = map_order(eur_order)

    # code is null, so the title names the method; 0.86 VAT is inside the 4.95.
    assert order["shipping"] == {"method": "PostNL Standaard", "amount": "4.95"}


def test_given_pos_location_and_guest_when_mapped_then_location_and_contact_are_used(
    eur_order,
):
    order = map_order(eur_order)

    assert order["fulfillment_location"] == "655441491"
    assert order["customer"] == {
        "channel_customer_id": "",
        "name": "Sam de Vries",
        "email": "sam@example.nl",
    }
    assert order["ship_to"]["line2"] == ""
    assert order["ship_to"]["region"] == ""


def test_given_taxes_included_with_tax_above_the_line_when_mapped_then_refused(eur_order):
    eur_order["line_items"][1]["tax_lines"][0]["price"] = "12.01"

    assert refusal(eur_order).field == "line_items[1].tax_lines"


# --- fallbacks -------------------------------------------------------------


def test_given_line_without_sku_when_mapped_then_variant_id_stands_in(usd_order):
    usd_order["line_items"][1]["sku"] = ""

    order = map_order(usd_order)

    assert order["lines"][1]["sku"] == "shopify-variant:44002"


def test_given_line_without_sku_or_variant_when_mapped_then_refusal_names_the_line(usd_order):
    usd_order["line_items"][1]["sku"] = None
    usd_order["line_items"][1]["variant_id"] = None

    error = refusal(usd_order)

    assert error.field == "line_items[1].sku"
    assert "Mug" in str(error)
    assert str(error).startswith("line_items[1].sku: ")


def test_given_no_shipping_address_when_mapped_then_billing_address_is_used(usd_order):
    del usd_order["shipping_address"]

    ship_to = map_order(usd_order)["ship_to"]

    assert (ship_to["line1"], ship_to["line2"], ship_to["city"]) == (
        "500 Billing Ave",
        "Suite 2",
        "Dublin",
    )
    assert ship_to["phone"] == ""


def test_given_no_address_at_all_when_mapped_then_refused(usd_order):
    usd_order["shipping_address"] = None
    del usd_order["billing_address"]

    assert refusal(usd_order).field == "shipping_address"


def test_given_customer_without_name_when_mapped_then_shipping_name_is_used(usd_order):
    usd_order["customer"] = {"id": 7781}
    usd_order["email"] = None

    customer = map_order(usd_order)["customer"]

    assert customer == {
        "channel_customer_id": "7781",
        "name": "Pat Doe",
        "email": "pat@example.com",
    }


def test_given_location_id_when_mapped_then_it_beats_the_default(usd_order):
    usd_order["location_id"] = 42

    assert map_order(usd_order, location="WEB-DC")["fulfillment_location"] == "42"


def test_given_no_shipping_lines_when_mapped_then_shipping_is_zero(usd_order):
    usd_order["shipping_lines"] = []
    usd_order["total_price"] = "51.88"  # 60.29 - 8.41

    order = map_order(usd_order)

    assert order["shipping"] == {"method": "", "amount": "0.00"}
    assert order["totals"]["grand_total"] == "51.88"


def test_given_untaxed_line_when_mapped_then_exempt_tax_code_is_used(usd_order):
    usd_order["line_items"][1]["tax_lines"] = []
    usd_order["total_price"] = "59.41"  # 60.29 - 0.88

    order = to_canonical_order(usd_order, default_location="WEB", exempt_tax_code="TX-NONE")

    assert order["lines"][1]["tax_code"] == "TX-NONE"
    assert order["lines"][1]["tax_amount"] == "0.00"


def test_given_zero_decimal_currency_when_mapped_then_amounts_have_no_decimals(
    usd_order, canonical_totals_hold
):
    usd_order.update(currency="JPY", total_line_items_price="5000", total_price="5000")
    usd_order["line_items"] = [
        {"sku": "TEA-TIN", "quantity": 2, "price": "2500.00", "tax_lines": []}
    ]
    usd_order["shipping_lines"] = []

    order = map_order(usd_order)

    assert order["lines"][0]["unit_price"] == "2500"
    assert order["totals"]["grand_total"] == "5000"
    canonical_totals_hold(order)


def test_given_money_as_json_numbers_when_mapped_then_read_as_written(usd_order):
    usd_order["line_items"][0]["price"] = 19.99
    usd_order["total_price"] = 60.29

    assert map_order(usd_order)["lines"][0]["unit_price"] == "19.99"


# --- refusals name the field ----------------------------------------------


def test_given_total_price_that_does_not_add_up_when_mapped_then_refused(usd_order):
    usd_order["total_price"] = "61.29"

    error = refusal(usd_order)

    assert error.field == "total_price"
    assert "61.29" in str(error)
    assert "grand_total 60.29" in str(error)


def test_given_line_items_price_that_does_not_add_up_when_mapped_then_refused(usd_order):
    usd_order["total_line_items_price"] = "50.00"

    error = refusal(usd_order)

    assert error.field == "total_line_items_price"
    assert "52.48" in str(error)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("line_items", 0, "price"), "19.999", "line_items[0].price"),
        (("line_items", 0, "price"), "-19.99", "line_items[0].price"),
        (("line_items", 0, "price"), "NaN", "line_items[0].price"),
        (("line_items", 0, "price"), True, "line_items[0].price"),
        (("line_items", 0, "quantity"), "2", "line_items[0].quantity"),
        (("line_items", 0, "quantity"), 0, "line_items[0].quantity"),
        (("line_items", 0, "quantity"), 2.0, "line_items[0].quantity"),
        (("line_items", 0, "tax_lines", 1, "title"), "", "line_items[0].tax_lines[1].title"),
        (
            ("line_items", 0, "discount_allocations", 0, "amount"),
            "40.00",
            "line_items[0].discount_allocations",
        ),
        (("line_items", 1), "MUG-WHT", "line_items[1]"),
        (("line_items",), [], "line_items"),
        (("line_items",), {"sku": "X"}, "line_items"),
        (
            ("shipping_lines", 0, "discount_allocations", 0, "amount"),
            "10.00",
            "shipping_lines[0].discount_allocations",
        ),
        (("created_at",), "2026-11-23T05:15:00", "created_at"),
        (("created_at",), "yesterday", "created_at"),
        (("currency",), "usd", "currency"),
        (("id",), None, "id"),
        (("id",), True, "id"),
        # Too many digits for str(int): the mapper must not trip over Python's limit.
        pytest.param(("id",), 10**5000, "id", id="huge-id"),
        pytest.param(
            ("line_items", 0, "quantity"), 10**5000, "line_items[0].quantity", id="huge-quantity"
        ),
        pytest.param(("line_items", 0, "price"), 10**5000, "line_items[0].price", id="huge-price"),
        (("location_id",), -7, "location_id"),
        (("customer",), "Pat", "customer"),
        (("shipping_address", "country_code"), "United States", "shipping_address.country_code"),
        (("shipping_address", "address1"), 42, "shipping_address.address1"),
        (("taxes_included",), "false", "taxes_included"),
        (("total_price",), None, "total_price"),
    ],
)
def test_given_unmappable_value_when_mapped_then_refusal_names_its_path(
    usd_order, path, value, field
):
    target = usd_order
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    assert refusal(usd_order).field == field


@pytest.mark.parametrize("body", [None, [], "order", 42, {"order": {"id": 1}}])
def test_given_body_that_is_not_an_order_when_mapped_then_refused(body):
    error = refusal(body)

    assert isinstance(error, PermanentError)
    assert error.code == "channel_payload"


def test_given_no_location_and_no_default_when_mapped_then_location_left_empty(usd_order):
    # The platform's validation names the gap: the adapter only translates.
    assert map_order(usd_order, location=" ")["fulfillment_location"] == ""


def test_given_no_exempt_tax_code_when_mapped_then_config_error(usd_order):
    with pytest.raises(ConfigError):
        to_canonical_order(usd_order, default_location="WEB-DC", exempt_tax_code=" ")
