"""Property tests: the Shopify mapper on arbitrary and on generated consistent orders."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.shopify import to_canonical_order

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        ["", "19.99", "0.005", "1e9999", "-0.00", "NaN", "USD", "2026-11-23T10:15:00Z"]
    )
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
ORDER_KEYS = [
    "id",
    "created_at",
    "currency",
    "taxes_included",
    "line_items",
    "shipping_lines",
    "total_price",
    "total_line_items_price",
    "customer",
    "shipping_address",
    "billing_address",
    "location_id",
    "email",
]
LINE_KEYS = ["sku", "variant_id", "quantity", "price", "tax_lines", "discount_allocations", "title"]
shopify_shaped_orders = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        | st.lists(st.dictionaries(st.sampled_from(LINE_KEYS), json_values), max_size=3)
        for key in ORDER_KEYS
    },
)


def map_or_refuse(body: object) -> dict | None:
    """The mapper's whole contract for untrusted input: a dict or ChannelPayloadError."""
    try:
        order = to_canonical_order(body, default_location="WEB-DC")
    except ChannelPayloadError as error:
        assert str(error)
        return None
    assert isinstance(order, dict)
    return order


@settings(max_examples=300)
@given(json_values)
def test_given_any_json_when_mapped_then_dict_or_payload_error(body):
    map_or_refuse(body)


@settings(max_examples=300)
@given(shopify_shaped_orders)
def test_given_shopify_shaped_json_when_mapped_then_dict_or_payload_error(body):
    map_or_refuse(body)


def leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaf_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaf_paths(child, (*path, index))
    yield path


@settings(max_examples=300)
@given(data=st.data(), replacement=json_values)
def test_given_valid_order_with_one_value_replaced_when_mapped_then_dict_or_payload_error(
    fixture_reader, canonical_totals_hold, data, replacement
):
    body = fixture_reader(
        data.draw(
            st.sampled_from(
                ["shopify_orders_create_usd.json", "shopify_orders_create_eur_taxes_included.json"]
            )
        )
    )
    path = data.draw(st.sampled_from([p for p in leaf_paths(body) if p]))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement

    order = map_or_refuse(body)

    if order is not None:
        canonical_totals_hold(order)


cents = st.integers(min_value=0, max_value=50_000)


@st.composite
def consistent_orders(draw):
    """A Shopify order whose total_price is what Shopify would charge for its lines."""
    taxes_included = draw(st.booleans())
    line_items, charged = [], 0
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        quantity = draw(st.integers(min_value=1, max_value=25))
        gross = draw(cents) * quantity
        discount = draw(st.integers(min_value=0, max_value=gross))
        tax = draw(
            st.integers(min_value=0, max_value=gross - discount if taxes_included else gross)
        )
        line_items.append(
            {
                "sku": draw(st.from_regex(r"[A-Z]{3}-[0-9]{1,4}", fullmatch=True)),
                "quantity": quantity,
                "price": str(Decimal(gross // quantity) / 100),
                "tax_lines": [{"title": "VAT", "price": str(Decimal(tax) / 100)}] if tax else [],
                "discount_allocations": [{"amount": str(Decimal(discount) / 100)}],
            }
        )
        charged += (gross // quantity) * quantity - discount + (0 if taxes_included else tax)
    shipping, shipping_tax = draw(cents), draw(cents)
    charged += shipping + (0 if taxes_included else shipping_tax)
    return {
        "id": draw(st.integers(min_value=1, max_value=2**53)),
        "created_at": "2026-11-23T10:15:00Z",
        "currency": "USD",
        "taxes_included": taxes_included,
        "line_items": line_items,
        "shipping_lines": [
            {
                "code": "STD",
                "price": str(Decimal(shipping) / 100),
                "tax_lines": [{"title": "VAT", "price": str(Decimal(shipping_tax) / 100)}],
            }
        ],
        "total_price": str(Decimal(charged) / 100),
        "shipping_address": {"address1": "1 Main St", "city": "Columbus", "country_code": "US"},
    }


@settings(max_examples=300)
@given(consistent_orders())
def test_given_consistent_order_when_mapped_then_canonical_totals_match_shopify(
    canonical_totals_hold, body
):
    order = to_canonical_order(body, default_location="WEB-DC")

    canonical_totals_hold(order)
    assert Decimal(order["totals"]["grand_total"]) == Decimal(body["total_price"])
    line_tax = sum(
        (Decimal(t["price"]) for item in body["line_items"] for t in item["tax_lines"]), Decimal(0)
    )
    assert Decimal(order["totals"]["tax"]) == line_tax
    for item, line in zip(body["line_items"], order["lines"], strict=True):
        # Net revenue per line is what the customer paid for it, less its tax.
        paid = Decimal(item["price"]) * item["quantity"] - Decimal(
            item["discount_allocations"][0]["amount"]
        )
        if not body["taxes_included"]:
            paid += Decimal(line["tax_amount"])
        assert (
            Decimal(line["unit_price"]) * line["quantity"]
            - Decimal(line["discount_amount"])
            + Decimal(line["tax_amount"])
            == paid
        )
