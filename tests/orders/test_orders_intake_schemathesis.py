"""schemathesis against the app's own OpenAPI schema, in process (WSGI), on the test database.

Every operation is fuzzed from the schema (valid and invalid data); a second
test sends orders a hypothesis strategy builds to be valid (totals that add up,
whole minor units of their currency), so fuzzing reaches the database too. Each
answer must be documented (status code, content type, body schema) and none may
be a 5xx. Bounded by example count so the module takes seconds, not minutes.
"""

import datetime as dt
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from syncplatform.core.currencies import ISO_4217
from syncplatform.orders.api.serializers import amount_decimals

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Deterministic, so a red run is red again; each example costs about 0.2-0.5 s to
# generate (the order schema is large), so the counts keep the module well under a minute.
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def in_test_transaction(app):
    """The WSGI app, minus the end-of-request connection check that would close the test's
    database connection (it is inside the test's transaction); Django's test client does the same.
    """

    def call(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return call


@pytest.fixture
def app_schema(db):
    app = in_test_transaction(get_wsgi_application())
    return schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", app)


schema = schemathesis.pytest.from_fixture("app_schema")


def authorized(channel) -> dict:
    return {"Authorization": f"Bearer {channel.api_key}"}


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_its_schema_says(case, channel):
    case.call_and_validate(headers=authorized(channel), checks=CHECKS)


# --- Orders that are valid, so that fuzzing reaches the database ---------------

# Printable text that stays what it is once DRF trims it.
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp", "Zs"]),
    min_size=1,
)


def text(max_size: int) -> st.SearchStrategy[str]:
    return words.filter(lambda value: len(value) <= max_size)


def amount(minor_units: int, decimals: int) -> str:
    return f"{Decimal(minor_units).scaleb(-decimals):.{decimals}f}"


@st.composite
def valid_orders(draw) -> dict:
    """A canonical order that must be accepted: its totals add up in whole minor units."""
    currency = draw(st.sampled_from(sorted(ISO_4217)))
    places = amount_decimals(currency)
    line_numbers = draw(st.lists(st.integers(1, 99_999), min_size=1, max_size=5, unique=True))
    lines, sums = [], {"subtotal": 0, "tax": 0, "discount": 0}
    for number in line_numbers:
        # Small enough that five lines stay below 10^12 even without a minor unit (JPY).
        quantity = draw(st.integers(1, 1_000))
        price = draw(st.integers(0, 10**6))
        tax, discount = draw(st.integers(0, 10**6)), draw(st.integers(0, quantity * price))
        sums["subtotal"] += quantity * price
        sums["tax"] += tax
        sums["discount"] += discount
        line = {
            "line_number": number,
            "sku": draw(text(80)),
            "quantity": quantity,
            "unit_price": amount(price, places),
            "tax_code": draw(text(40)),
            "tax_amount": amount(tax, places),
            "discount_amount": amount(discount, places),
        }
        lines.append(line)
    shipping = draw(st.integers(0, 10**5))
    grand_total = sums["subtotal"] + sums["tax"] + shipping - sums["discount"]
    ordered_at = draw(st.datetimes(min_value=dt.datetime(2000, 1, 1), timezones=st.just(dt.UTC)))
    return {
        "channel_order_number": draw(text(80)),
        "ordered_at": ordered_at.isoformat(),
        "currency": currency,
        "customer": {
            "channel_customer_id": draw(st.one_of(st.just(""), text(80))),
            "name": draw(text(120)),
            "email": draw(text(254)),
        },
        "ship_to": {
            "name": draw(text(120)),
            "line1": draw(text(120)),
            "city": draw(text(80)),
            "postal_code": draw(text(20)),
            "country": draw(st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        },
        "fulfillment_location": draw(text(40)),
        "shipping": {"method": draw(text(40)), "amount": amount(shipping, places)},
        "lines": lines,
        "totals": {
            "subtotal": amount(sums["subtotal"], places),
            "tax": amount(sums["tax"], places),
            "shipping": amount(shipping, places),
            "discount": amount(sums["discount"], places),
            "grand_total": amount(grand_total, places),
        },
    }


@given(
    order=valid_orders(),
    key=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=255),
)
@settings(FUZZ, max_examples=50)
def test_valid_orders_are_stored_and_answered_as_the_schema_says(app_schema, channel, order, key):
    intake = app_schema["/api/v1/orders"]["POST"]
    case = intake.Case(body=order, headers={"Idempotency-Key": key})

    response = case.call_and_validate(headers=authorized(channel), checks=CHECKS)

    # 200: the same channel order number again (hypothesis repeats itself);
    # 422: the same key with another body, for the same reason.
    assert response.status_code in (200, 202, 422), response.text
    if response.status_code == 422:
        assert response.json()["type"].endswith("/idempotency-key-reused"), response.text
