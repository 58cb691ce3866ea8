"""Shopify ``orders/create`` bodies written for the tests, in the shapes real shops send.

Each builder returns a fresh dict; ``changes`` replace top-level keys. The
amounts add up the way Shopify's do (see each docstring), so a body maps to a
canonical order unless a test takes something away.
"""

import copy

SHOP_ADDRESS = {
    "first_name": "Pat",
    "last_name": "Doe",
    "name": "Pat Doe",
    "company": None,
    "address1": "1 Main St",
    "address2": "",
    "city": "Columbus",
    "province": "Ohio",
    "province_code": "OH",
    "zip": "43004",
    "country": "United States",
    "country_code": "US",
    "phone": "+1 614 555 0100",
    "latitude": 39.96,
    "longitude": -82.99,
}


def money_set(shop: str, presentment: str | None = None, presentment_currency: str = "USD"):
    """A 2019-10+ ``*_set``: the shop's amount and what the buyer saw."""
    return {
        "shop_money": {"amount": shop, "currency_code": "USD"},
        "presentment_money": {
            "amount": presentment or shop,
            "currency_code": presentment_currency,
        },
    }


def _tax(title: str, price: str, rate: float) -> dict:
    return {"title": title, "price": price, "rate": rate, "channel_liable": False}


def order_2025(**changes) -> dict:
    """API 2025-01, tax-exclusive USD web order.

    2 x 19.99 T-shirt (tax 2.07 + 0.45, 4.00 off with code SAVE4) and a 12.50 mug
    (tax 0.72 + 0.16), Ground shipping 7.95: 52.48 + 3.40 + 7.95 - 4.00 = 59.83.
    """
    body = {
        "id": 6051234567001,
        "admin_graphql_api_id": "gid://shopify/Order/6051234567001",
        "name": "#1101",
        "order_number": 1101,
        "created_at": "2025-03-14T09:26:53-04:00",
        "processed_at": "2025-03-14T09:26:52-04:00",
        "currency": "USD",
        "presentment_currency": "USD",
        "taxes_included": False,
        "source_name": "web",
        "email": "pat@example.com",
        "contact_email": "pat@example.com",
        "payment_gateway_names": ["shopify_payments"],
        "financial_status": "paid",
        "confirmed": True,
        "total_line_items_price": "52.48",
        "total_line_items_price_set": money_set("52.48"),
        "subtotal_price": "48.48",
        "total_discounts": "4.00",
        "total_discounts_set": money_set("4.00"),
        "total_tax": "3.40",
        "total_tax_set": money_set("3.40"),
        "total_shipping_price_set": money_set("7.95"),
        "total_price": "59.83",
        "total_price_set": money_set("59.83"),
        "current_total_price": "59.83",
        "current_total_price_set": money_set("59.83"),
        "current_subtotal_price": "48.48",
        "current_total_tax": "3.40",
        "total_outstanding": "0.00",
        "customer": {
            "id": 7781,
            "email": "pat@example.com",
            "first_name": "Pat",
            "last_name": "Doe",
            "admin_graphql_api_id": "gid://shopify/Customer/7781",
        },
        "discount_applications": [
            {
                "target_type": "line_item",
                "type": "discount_code",
                "value": "4.0",
                "value_type": "fixed_amount",
                "allocation_method": "one",
                "target_selection": "explicit",
                "code": "SAVE4",
            }
        ],
        "discount_codes": [{"code": "SAVE4", "amount": "4.00", "type": "fixed_amount"}],
        "line_items": [
            {
                "id": 14001,
                "admin_graphql_api_id": "gid://shopify/LineItem/14001",
                "variant_id": 44001,
                "product_id": 33001,
                "title": "T-shirt",
                "variant_title": "Black / M",
                "sku": "TSHIRT-BLK-M",
                "quantity": 2,
                "current_quantity": 2,
                "fulfillable_quantity": 2,
                "requires_shipping": True,
                "taxable": True,
                "price": "19.99",
                "price_set": money_set("19.99"),
                "total_discount": "0.00",
                "total_discount_set": money_set("0.00"),
                "tax_lines": [
                    {**_tax("OH State Tax", "2.07", 0.0575), "price_set": money_set("2.07")},
                    {**_tax("Franklin County Tax", "0.45", 0.0125), "price_set": money_set("0.45")},
                ],
                "discount_allocations": [
                    {
                        "amount": "4.00",
                        "amount_set": money_set("4.00"),
                        "discount_application_index": 0,
                    }
                ],
                "duties": [],
            },
            {
                "id": 14002,
                "admin_graphql_api_id": "gid://shopify/LineItem/14002",
                "variant_id": 44002,
                "product_id": 33002,
                "title": "Mug",
                "sku": "MUG-WHT",
                "quantity": 1,
                "current_quantity": 1,
                "fulfillable_quantity": 1,
                "requires_shipping": True,
                "taxable": True,
                "price": "12.50",
                "price_set": money_set("12.50"),
                "total_discount": "0.00",
                "tax_lines": [
                    {**_tax("OH State Tax", "0.72", 0.0575), "price_set": money_set("0.72")},
                    {**_tax("Franklin County Tax", "0.16", 0.0125), "price_set": money_set("0.16")},
                ],
                "discount_allocations": [],
                "duties": [],
            },
        ],
        "shipping_lines": [
            {
                "id": 9101,
                "code": "GROUND",
                "title": "Ground",
                "source": "shopify",
                "price": "7.95",
                "price_set": money_set("7.95"),
                "discounted_price": "7.95",
                "discounted_price_set": money_set("7.95"),
                "is_removed": False,
                "carrier_identifier": None,
                "tax_lines": [],
                "discount_allocations": [],
            }
        ],
        "shipping_address": dict(SHOP_ADDRESS),
        "billing_address": dict(SHOP_ADDRESS),
    }
    body.update(copy.deepcopy(changes))
    return body


def order_2020(**changes) -> dict:
    """The same order as ``order_2025`` written by API 2020-04, under another id.

    Older fields (``total_price_usd``, ``gateway``, ``processing_method``), none
    of 2024-2025's (``*_set``, ``current_*``, ``is_removed``, ``channel_liable``).
    """
    body = {
        "id": 2998557704001,
        "name": "#1001",
        "order_number": 1001,
        "created_at": "2020-04-27T08:23:58-04:00",
        "currency": "USD",
        "presentment_currency": "USD",
        "taxes_included": False,
        "gateway": "shopify_payments",
        "processing_method": "direct",
        "email": "pat@example.com",
        "total_line_items_price": "52.48",
        "subtotal_price": "48.48",
        "total_discounts": "4.00",
        "total_tax": "3.40",
        "total_price": "59.83",
        "total_price_usd": "59.83",
        "customer": {
            "id": 7781,
            "email": "pat@example.com",
            "first_name": "Pat",
            "last_name": "Doe",
        },
        "discount_codes": [{"code": "SAVE4", "amount": "4.00", "type": "fixed_amount"}],
        "discount_applications": [
            {
                "type": "discount_code",
                "value": "4.0",
                "value_type": "fixed_amount",
                "allocation_method": "one",
                "target_selection": "explicit",
                "target_type": "line_item",
                "code": "SAVE4",
            }
        ],
        "line_items": [
            {
                "id": 5001,
                "variant_id": 44001,
                "title": "T-shirt",
                "sku": "TSHIRT-BLK-M",
                "quantity": 2,
                "price": "19.99",
                "total_discount": "0.00",
                "tax_lines": [
                    {"title": "OH State Tax", "price": "2.07", "rate": 0.0575},
                    {"title": "Franklin County Tax", "price": "0.45", "rate": 0.0125},
                ],
                "discount_allocations": [{"amount": "4.00", "discount_application_index": 0}],
            },
            {
                "id": 5002,
                "variant_id": 44002,
                "title": "Mug",
                "sku": "MUG-WHT",
                "quantity": 1,
                "price": "12.50",
                "total_discount": "0.00",
                "tax_lines": [
                    {"title": "OH State Tax", "price": "0.72", "rate": 0.0575},
                    {"title": "Franklin County Tax", "price": "0.16", "rate": 0.0125},
                ],
                "discount_allocations": [],
            },
        ],
        "shipping_lines": [
            {
                "id": 7001,
                "code": "GROUND",
                "title": "Ground",
                "source": "shopify",
                "price": "7.95",
                "discounted_price": "7.95",
                "tax_lines": [],
                "discount_allocations": [],
            }
        ],
        "shipping_address": dict(SHOP_ADDRESS),
        "billing_address": dict(SHOP_ADDRESS),
    }
    body.update(copy.deepcopy(changes))
    return body


def without_shipping(body: dict) -> dict:
    """``body`` with no shipping line (pickup, digital): total_price drops by the 7.95."""
    body = copy.deepcopy(body)
    body["shipping_lines"] = []
    body["total_price"] = "51.88"
    for key in ("total_price_set", "current_total_price_set"):
        if key in body:
            body[key] = money_set("51.88")
    if "current_total_price" in body:
        body["current_total_price"] = "51.88"
    body.pop("total_shipping_price_set", None)
    return body


def order_in_presentment_currency() -> dict:
    """Shop in USD, buyer in CAD: plain amounts are USD, ``*_set`` carry CAD too.

    One 12.50 mug (tax 0.72 + 0.16), Ground 7.95: 21.33 USD (29.22 CAD).
    """
    body = order_2025(
        id=6051234567002,
        name="#1102",
        presentment_currency="CAD",
        total_line_items_price="12.50",
        total_line_items_price_set=money_set("12.50", "17.12", "CAD"),
        subtotal_price="12.50",
        total_discounts="0.00",
        total_discounts_set=money_set("0.00", "0.00", "CAD"),
        total_tax="0.88",
        total_tax_set=money_set("0.88", "1.21", "CAD"),
        total_shipping_price_set=money_set("7.95", "10.89", "CAD"),
        total_price="21.33",
        total_price_set=money_set("21.33", "29.22", "CAD"),
        current_total_price="21.33",
        current_total_price_set=money_set("21.33", "29.22", "CAD"),
        discount_applications=[],
        discount_codes=[],
    )
    mug = body["line_items"][1]
    mug["price_set"] = money_set("12.50", "17.12", "CAD")
    mug["tax_lines"][0]["price_set"] = money_set("0.72", "0.99", "CAD")
    mug["tax_lines"][1]["price_set"] = money_set("0.16", "0.22", "CAD")
    body["line_items"] = [mug]
    body["shipping_lines"][0]["price_set"] = money_set("7.95", "10.89", "CAD")
    return body


def order_taxes_included(**changes) -> dict:
    """EUR, prices include 21 % VAT: 3 x 9.99 scarf (VAT 5.20), no shipping line: 29.97."""
    body = {
        "id": 6051234567003,
        "name": "#1103",
        "created_at": "2025-06-02T14:05:00+02:00",
        "currency": "EUR",
        "presentment_currency": "EUR",
        "taxes_included": True,
        "source_name": "pos",
        "email": "sam@example.nl",
        "total_line_items_price": "29.97",
        "total_tax": "5.20",
        "total_discounts": "0.00",
        "total_price": "29.97",
        "customer": None,
        "line_items": [
            {
                "id": 15001,
                "variant_id": 45001,
                "title": "Scarf",
                "sku": "SCARF-RED",
                "quantity": 3,
                "price": "9.99",
                "tax_lines": [{"title": "NL BTW", "price": "5.20", "rate": 0.21}],
                "discount_allocations": [],
            }
        ],
        "shipping_lines": [],
        "billing_address": {
            "name": "Sam de Vries",
            "address1": "Damrak 1",
            "city": "Amsterdam",
            "zip": "1012 LG",
            "country_code": "NL",
        },
    }
    body.update(copy.deepcopy(changes))
    return body


def draft_order_for_pickup(**changes) -> dict:
    """A draft order made in the admin: custom 'Store pickup' line, a buyer in Hong Kong
    with no street, city or postal code. One 12.50 mug, untaxed: 12.50."""
    body = {
        "id": 6051234567004,
        "name": "#D12",
        "created_at": "2025-07-01T11:00:00+08:00",
        "currency": "USD",
        "taxes_included": False,
        "source_name": "shopify_draft_order",
        "email": "wing@example.hk",
        "total_line_items_price": "12.50",
        "total_tax": "0.00",
        "total_price": "12.50",
        "customer": {"id": 8801, "first_name": "Wing", "last_name": "Chan"},
        "line_items": [
            {
                "id": 16001,
                "variant_id": 44002,
                "title": "Mug",
                "sku": "MUG-WHT",
                "quantity": 1,
                "price": "12.50",
                "tax_lines": [],
                "discount_allocations": [],
            }
        ],
        "shipping_lines": [
            {
                "code": None,
                "title": "Store pickup",
                "source": "shopify",
                "price": "0.00",
                "tax_lines": [],
                "discount_allocations": [],
            }
        ],
        "shipping_address": {
            "first_name": "Wing",
            "last_name": "Chan",
            "name": "Wing Chan",
            "address1": "",
            "address2": "",
            "city": "",
            "zip": "",
            "province_code": None,
            "country": "Hong Kong",
            "country_code": "HK",
            "phone": "",
        },
    }
    body.update(copy.deepcopy(changes))
    return body


def order_with_discounts() -> dict:
    """``order_2025`` with three discount applications, each allocated where it applies:

    SAVE4 (4.00 on the T-shirts), an automatic 10 % on the mug (1.25) and FREESHIP
    (the 7.95 shipping). 52.48 + 3.40 + 7.95 - 4.00 - 1.25 - 7.95 = 50.63.
    """
    body = order_2025(
        id=6051234567005,
        name="#1105",
        total_discounts="13.20",
        total_discounts_set=money_set("13.20"),
        total_price="50.63",
        total_price_set=money_set("50.63"),
        current_total_price="50.63",
        current_total_price_set=money_set("50.63"),
    )
    body["discount_applications"] += [
        {
            "target_type": "line_item",
            "type": "automatic",
            "title": "Mugs 10% off",
            "value": "10.0",
            "value_type": "percentage",
            "allocation_method": "across",
            "target_selection": "entitled",
        },
        {
            "target_type": "shipping_line",
            "type": "discount_code",
            "code": "FREESHIP",
            "value": "100.0",
            "value_type": "percentage",
            "allocation_method": "each",
            "target_selection": "all",
        },
    ]
    body["discount_codes"].append({"code": "FREESHIP", "amount": "7.95", "type": "shipping"})
    body["line_items"][1]["discount_allocations"] = [
        {"amount": "1.25", "amount_set": money_set("1.25"), "discount_application_index": 1}
    ]
    shipping = body["shipping_lines"][0]
    shipping["discounted_price"] = "0.00"
    shipping["discounted_price_set"] = money_set("0.00")
    shipping["discount_allocations"] = [
        {"amount": "7.95", "amount_set": money_set("7.95"), "discount_application_index": 2}
    ]
    return body
