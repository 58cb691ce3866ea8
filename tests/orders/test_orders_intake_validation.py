"""POST /api/v1/orders with bad input: a specific problem JSON, and nothing stored or published."""

import copy
import json

import pytest

from tests.support.orders import canonical_order, with_lines

pytestmark = pytest.mark.django_db

LINE = {
    "line_number": 1,
    "sku": "TSHIRT-BLK-M",
    "quantity": 2,
    "unit_price": "19.99",
    "tax_code": "TX-APPAREL",
    "tax_amount": "3.20",
    "discount_amount": "0.00",
}


def numbered_lines(count: int) -> list[dict]:
    return [dict(LINE, line_number=n, quantity=1, tax_amount="0.10") for n in range(1, count + 1)]


def changed(path: str, value) -> dict:
    """The demo order with one value replaced; ``path`` like ``lines.0.quantity``."""
    order = canonical_order()
    *parents, leaf = path.split(".")
    target = order
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target[step]
    target[int(leaf) if isinstance(target, list) else leaf] = value
    return order


def without(path: str) -> dict:
    order = canonical_order()
    *parents, leaf = path.split(".")
    target = order
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target[step]
    del target[leaf]
    return order


@pytest.fixture
def refused(post_order, counts, published, assert_problem, django_capture_on_commit_callbacks):
    """Post ``body`` and assert the problem; nothing may be stored, queued or published."""

    def check(body, status: int, slug: str, fields: list[str] | None = None, **post_options):
        before = counts()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post_order(body, **post_options)
        problem = assert_problem(response, status, slug, fields=fields)
        assert counts() == before
        assert callbacks == []
        assert published == []
        return problem

    return check


def test_given_malformed_json_when_posted_then_400_malformed_json(refused):
    problem = refused(b'{"channel_order_number": "WEB-1",', 400, "malformed-json")
    assert "errors" not in problem


@pytest.mark.parametrize("body", [b"[]", b'"an order"', b"42", b"null", b"[{}]"])
def test_given_json_that_is_not_an_object_when_posted_then_422_naming_the_body(refused, body):
    refused(body, 422, "validation-error", ["body"])


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ("channel_order_number", "channel_order_number"),
        ("ordered_at", "ordered_at"),
        ("currency", "currency"),
        ("customer", "customer"),
        ("customer.channel_customer_id", "customer.channel_customer_id"),
        ("ship_to", "ship_to"),
        ("ship_to.country", "ship_to.country"),
        ("fulfillment_location", "fulfillment_location"),
        ("shipping", "shipping"),
        ("lines", "lines"),
        ("lines.0.sku", "lines[0].sku"),
        ("lines.0.quantity", "lines[0].quantity"),
        ("lines.0.unit_price", "lines[0].unit_price"),
        ("totals", "totals"),
        ("totals.grand_total", "totals.grand_total"),
    ],
)
def test_given_a_required_field_missing_when_posted_then_422_naming_it(refused, missing, field):
    refused(without(missing), 422, "validation-error", [field])


def test_given_every_field_missing_when_posted_then_each_is_named(refused):
    problem = refused({}, 422, "validation-error")
    assert {error["field"] for error in problem["errors"]} == {
        "channel_order_number",
        "ordered_at",
        "currency",
        "customer",
        "ship_to",
        "fulfillment_location",
        "shipping",
        "lines",
        "totals",
    }


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("lines.0.quantity", "2", "lines[0].quantity"),
        ("lines.0.quantity", 2.0, "lines[0].quantity"),
        ("lines.0.quantity", True, "lines[0].quantity"),
        ("lines.0.line_number", 1.5, "lines[0].line_number"),
        ("lines.0.line_number", "1", "lines[0].line_number"),
        ("lines.0.unit_price", 19.99, "lines[0].unit_price"),
        ("lines.0.tax_amount", 3, "lines[0].tax_amount"),
        ("shipping.amount", 7.95, "shipping.amount"),
        ("totals.grand_total", 51.13, "totals.grand_total"),
        ("lines.0.unit_price", "nineteen", "lines[0].unit_price"),
        ("lines.0.unit_price", "NaN", "lines[0].unit_price"),
        ("lines.0.unit_price", "Infinity", "lines[0].unit_price"),
        ("lines.0.unit_price", "-19.99", "lines[0].unit_price"),
        ("ordered_at", "yesterday", "ordered_at"),
        ("ship_to.country", "USA", "ship_to.country"),
        ("lines", {"line_number": 1}, "lines"),
        ("customer", "C-778", "customer"),
    ],
)
def test_given_a_wrongly_typed_field_when_posted_then_422_naming_it(refused, path, value, field):
    refused(changed(path, value), 422, "validation-error", [field])


def test_given_money_as_a_json_number_when_posted_then_the_message_says_decimal_string(refused):
    problem = refused(changed("lines.0.unit_price", 19.99), 422, "validation-error")
    assert problem["errors"][0]["message"] == (
        'must be a decimal string such as "19.99", not a float'
    )


@pytest.mark.parametrize("quantity", [0, -1])
def test_given_non_positive_quantity_when_posted_then_422_naming_the_line(refused, quantity):
    problem = refused(
        changed("lines.0.quantity", quantity), 422, "validation-error", ["lines[0].quantity"]
    )
    assert problem["errors"][0]["message"] == "must be a positive integer"


def test_given_a_bad_second_line_when_posted_then_the_error_names_that_line(refused):
    lines = numbered_lines(2)
    lines[1]["quantity"] = 0
    order = with_lines(canonical_order(), lines)
    refused(order, 422, "validation-error", ["lines[1].quantity"])


def test_given_unknown_currency_when_posted_then_422_naming_currency(refused):
    problem = refused(changed("currency", "XXX"), 422, "validation-error", ["currency"])
    assert "'XXX' is not an ISO 4217 currency code" in problem["errors"][0]["message"]


def test_given_lowercase_currency_when_posted_then_422_naming_currency(refused):
    refused(changed("currency", "usd"), 422, "validation-error", ["currency"])


def test_given_more_lines_than_the_limit_when_posted_then_422_naming_lines(refused, settings):
    settings.SYNC_MAX_ORDER_LINES = 3
    order = with_lines(canonical_order(), numbered_lines(4))
    problem = refused(order, 422, "validation-error", ["lines"])
    assert problem["errors"][0]["message"] == "at most 3 lines per order, got 4"


def test_given_exactly_the_line_limit_when_posted_then_accepted(post_order, settings):
    settings.SYNC_MAX_ORDER_LINES = 3
    response = post_order(with_lines(canonical_order(), numbered_lines(3)))
    assert response.status_code == 202


def test_given_no_lines_when_posted_then_422_naming_lines(refused):
    refused(changed("lines", []), 422, "validation-error", ["lines"])


def test_given_duplicate_line_numbers_when_posted_then_422_naming_lines(refused):
    lines = numbered_lines(2)
    lines[1]["line_number"] = 1
    problem = refused(with_lines(canonical_order(), lines), 422, "validation-error", ["lines"])
    assert problem["errors"][0]["message"] == "line_number values must be unique"


@pytest.mark.parametrize(
    ("total", "wrong", "fields"),
    [
        # Expected values come from the lines, so only the total that is off is named.
        ("subtotal", "39.97", ["totals.subtotal"]),
        ("tax", "3.21", ["totals.tax"]),
        ("shipping", "7.00", ["totals.shipping"]),
        ("discount", "1.00", ["totals.discount"]),
        ("grand_total", "51.14", ["totals.grand_total"]),
    ],
)
def test_given_totals_that_do_not_add_up_when_posted_then_422_naming_the_total(
    refused, total, wrong, fields
):
    order = changed(f"totals.{total}", wrong)
    problem = refused(order, 422, "validation-error", fields)
    assert wrong in problem["errors"][0]["message"]


def test_given_grand_total_consistent_with_wrong_subtotal_when_posted_then_both_named(refused):
    order = canonical_order()
    order["totals"]["subtotal"] = "40.98"
    order["totals"]["grand_total"] = "52.13"
    problem = refused(order, 422, "validation-error")
    assert sorted(error["field"] for error in problem["errors"]) == [
        "totals.grand_total",
        "totals.subtotal",
    ]
    assert problem["errors"][0]["message"] == "is 40.98 but the lines add up to 39.98"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("lines.0.unit_price", "lines[0].unit_price"),
        ("shipping.amount", "shipping.amount"),
        ("totals.tax", "totals.tax"),
    ],
)
def test_given_money_with_three_decimals_when_posted_then_422_naming_it(refused, path, field):
    problem = refused(changed(path, "1.005"), 422, "validation-error", [field])
    assert problem["errors"][0]["message"] == "must have at most 2 decimals"


def test_given_trailing_zero_third_decimal_when_posted_then_still_refused(refused):
    # "19.990" is numerically 19.99, but a third decimal place is what the contract forbids.
    refused(
        changed("lines.0.unit_price", "19.990"),
        422,
        "validation-error",
        ["lines[0].unit_price"],
    )


def test_given_a_body_over_the_size_limit_when_posted_then_413(refused, settings):
    order = canonical_order()
    raw = json.dumps(order).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(raw) - 1
    problem = refused(raw, 413, "body-too-large")
    assert "errors" not in problem


def test_given_a_body_at_the_size_limit_when_posted_then_accepted(post_order, settings):
    raw = json.dumps(canonical_order()).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(raw)
    assert post_order(raw).status_code == 202


def test_given_a_form_encoded_body_when_posted_then_415_and_nothing_stored(
    api, channel, counts, assert_problem
):
    before = counts()
    response = api.post(
        "/api/v1/orders",
        "channel_order_number=WEB-1",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {channel.api_key}", "Idempotency-Key": "k"},
    )
    assert_problem(response, 415, "unsupported-media-type")
    assert counts() == before


def test_given_an_order_was_accepted_when_a_bad_one_follows_then_the_first_is_untouched(
    post_order, refused, counts
):
    from syncplatform.orders.models import Order

    assert post_order(canonical_order("WEB-1"), key="first").status_code == 202
    first = Order.objects.get()
    before = counts()

    bad = canonical_order("WEB-1")
    bad["lines"][0]["quantity"] = 0
    refused(bad, 422, "validation-error", ["lines[0].quantity"], key="second")

    assert counts() == before
    again = Order.objects.get()
    assert (again.pk, again.idempotency_key, again.grand_total, again.updated_at) == (
        first.pk,
        "first",
        first.grand_total,
        first.updated_at,
    )


def test_given_a_refused_request_when_the_same_key_is_retried_fixed_then_accepted(
    post_order, refused
):
    bad = changed("lines.0.quantity", "2")
    refused(bad, 422, "validation-error", ["lines[0].quantity"], key="retry-me")

    fixed = copy.deepcopy(bad)
    fixed["lines"][0]["quantity"] = 2
    response = post_order(fixed, key="retry-me")

    assert response.status_code == 202
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize(
    ("line_number", "is_accepted"),
    [(99_999, True), (100_000, False), (2**31, False), (2**63, False), (10**30, False)],
)
def test_given_line_numbers_around_the_erp_item_limit_then_only_five_digits_are_accepted(
    post_order, refused, line_number, is_accepted
):
    # The ERP numbers items line_number x 10 in six digits; 2**31 used to be a 500
    # ("integer out of range") on PostgreSQL.
    order = changed("lines.0.line_number", line_number)
    if is_accepted:
        assert post_order(order).status_code == 202
    else:
        problem = refused(order, 422, "validation-error", ["lines[0].line_number"])
        assert "99999" in problem["errors"][0]["message"]


@pytest.mark.parametrize("quantity", [1_000_001, 2**31, 2**63])
def test_given_a_quantity_past_its_bound_then_422_naming_it(refused, quantity):
    refused(changed("lines.0.quantity", quantity), 422, "validation-error", ["lines[0].quantity"])


@pytest.mark.parametrize(
    "amount",
    [
        "١٩.٩٩",  # Arabic-Indic digits: Decimal() reads them as 19.99
        "\uff11\uff19.\uff19\uff19",  # fullwidth digits
        " 19.99 ",
        "19.99\n",
        "+19.99",
        "1_9.99",
        "1.999e1",
        "19.",
        ".99",
        "19,99",
        "0x13",
        "",
    ],
)
def test_given_money_that_is_not_plain_ascii_decimal_then_422_naming_it(refused, amount):
    problem = refused(
        changed("lines.0.unit_price", amount), 422, "validation-error", ["lines[0].unit_price"]
    )
    assert problem["errors"][0]["message"] == 'must be a decimal string such as "19.99"'


def test_given_money_with_underscores_then_422_naming_only_that_amount(refused):
    # Decimal("1_000") is 1000: the totals would be blamed instead of the amount.
    refused(changed("shipping.amount", "1_000"), 422, "validation-error", ["shipping.amount"])


def test_given_money_with_thirteen_digits_then_422_too_large(refused):
    problem = refused(
        changed("totals.discount", "1000000000000"), 422, "validation-error", ["totals.discount"]
    )
    assert problem["errors"][0]["message"] == "is too large"


def yen_order() -> dict:
    """A JPY order (no minor unit) in whole yen: 2 x 1999 + 320 tax + 795 shipping."""
    order = canonical_order(currency="JPY")
    order["lines"] = [dict(LINE, unit_price="1999", tax_amount="320", discount_amount="0")]
    order["shipping"]["amount"] = "795"
    order["totals"] = {
        "subtotal": "3998",
        "tax": "320",
        "shipping": "795",
        "discount": "0",
        "grand_total": "5113",
    }
    return order


def test_given_a_yen_order_in_whole_yen_then_accepted(post_order):
    response = post_order(yen_order())

    assert response.status_code == 202, response.content


def test_given_yen_amounts_with_decimals_then_422_naming_each(refused):
    # given amounts equal to whole yen, but written with decimals yen do not have
    order = yen_order()
    order["lines"][0]["unit_price"] = "1999.00"
    order["lines"][0]["discount_amount"] = "0.0"
    order["totals"]["grand_total"] = "5113.00"

    problem = refused(order, 422, "validation-error")

    assert [error["field"] for error in problem["errors"]] == [
        "lines[0].unit_price",
        "lines[0].discount_amount",
        "totals.grand_total",
    ]
    assert problem["errors"][0]["message"] == "must be a whole amount: JPY has no minor unit"


def test_given_a_yen_line_without_discount_then_its_default_is_whole(post_order):
    order = yen_order()
    del order["lines"][0]["discount_amount"]

    assert post_order(order).status_code == 202


def test_given_too_many_invalid_lines_then_only_the_count_is_named(refused, settings):
    # Counted before any line is validated: no error per line.
    settings.SYNC_MAX_ORDER_LINES = 3
    order = changed("lines", [{}, {}, {}, {}])

    problem = refused(order, 422, "validation-error", ["lines"])

    assert problem["errors"][0]["message"] == "at most 3 lines per order, got 4"


def test_given_100000_lines_then_refused_by_count_alone(refused):
    order = changed("lines", [{}] * 100_000)

    problem = refused(order, 422, "validation-error", ["lines"])

    assert problem["errors"][0]["message"] == "at most 500 lines per order, got 100000"
