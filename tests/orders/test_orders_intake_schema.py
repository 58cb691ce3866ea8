"""The OpenAPI schema says what the intake enforces: patterns, enums, lengths, bounds, answers."""

import json
import re

import pytest

from syncplatform.core.currencies import ISO_4217
from syncplatform.core.problems import CONTENT_TYPE

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    return json.loads(client.get("/api/v1/schema?format=json").content)


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def test_every_amount_has_the_strict_money_pattern(schema):
    amounts = [
        component(schema, "Line")["properties"][name]
        for name in ("unit_price", "tax_amount", "discount_amount")
    ]
    amounts.append(component(schema, "Shipping")["properties"]["amount"])
    amounts.extend(component(schema, "Totals")["properties"].values())
    pattern = re.compile(amounts[0]["pattern"])

    assert {amount["pattern"] for amount in amounts} == {r"^[0-9]{1,12}(\.[0-9]{1,2})?$"}
    assert all(amount["type"] == "string" for amount in amounts)
    for accepted in ("0", "19.99", "7.5", "999999999999.99"):
        assert pattern.match(accepted)
    for refused in ("١٩.٩٩", " 19.99 ", "+19.99", "1_000", "-1", "1.999", "1e3", "1000000000000"):
        assert not pattern.match(refused)


def test_the_currency_is_an_enum_of_iso_4217(schema):
    currency = component(schema, "CanonicalOrder")["properties"]["currency"]
    enum = schema["components"]["schemas"][currency["allOf"][0]["$ref"].rsplit("/", 1)[1]]

    assert set(enum["enum"]) == ISO_4217


def test_every_stored_integer_has_bounds(schema):
    line = component(schema, "Line")["properties"]

    assert (line["line_number"]["minimum"], line["line_number"]["maximum"]) == (1, 99_999)
    assert (line["quantity"]["minimum"], line["quantity"]["maximum"]) == (1, 1_000_000)


def test_texts_have_their_stored_lengths(schema):
    order = component(schema, "CanonicalOrder")["properties"]
    line = component(schema, "Line")["properties"]
    address = component(schema, "Address")["properties"]

    assert (
        order["channel_order_number"]["minLength"],
        order["channel_order_number"]["maxLength"],
    ) == (1, 80)
    assert (line["sku"]["minLength"], line["sku"]["maxLength"]) == (1, 80)
    assert address["line1"]["maxLength"] == 120
    assert address["country"]["pattern"] == "^[A-Z]{2}$"


def test_the_line_count_limit_is_in_the_schema(schema):
    lines = component(schema, "CanonicalOrder")["properties"]["lines"]

    assert (lines["minItems"], lines["maxItems"]) == (1, 500)


def test_the_idempotency_key_is_1_to_255_characters(schema):
    post = schema["paths"]["/api/v1/orders"]["post"]
    key = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")

    assert key["required"] is True
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)


def test_every_answer_is_documented_and_errors_are_problem_json(schema):
    intake = schema["paths"]["/api/v1/orders"]["post"]["responses"]
    status = schema["paths"]["/api/v1/orders/{id}"]["get"]["responses"]
    webhook = schema["paths"]["/api/v1/webhooks/shopify/{channel_code}/orders-create"]["post"]

    assert set(intake) == {"200", "202", "400", "401", "411", "413", "415", "422"}
    assert set(status) == {"200", "401", "404"}
    assert set(webhook["responses"]) == {"200", "202", "400", "401", "404", "411", "413", "422"}
    for code in ("400", "411", "413", "415", "422"):
        problem = intake[code]["content"][CONTENT_TYPE]["schema"]
        assert problem == {"$ref": "#/components/schemas/Problem"}
    assert set(component(schema, "Problem")["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "correlation_id",
    }
