"""The OpenAPI document channels build against, and its interactive docs page."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/schema?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return json.loads(response.content)


def test_given_the_schema_then_it_describes_the_order_intake_with_idempotency_key(schema):
    post = schema["paths"]["/api/v1/orders"]["post"]
    headers = {p["name"]: p for p in post["parameters"] if p["in"] == "header"}

    assert headers["Idempotency-Key"]["required"] is True
    assert headers["Idempotency-Key"]["schema"]["type"] == "string"
    assert {"202", "200", "400", "401", "413", "422"} <= set(post["responses"])
    assert post["security"] == [{"ApiKey": []}]
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_given_the_schema_then_the_canonical_order_fields_are_documented(schema):
    post = schema["paths"]["/api/v1/orders"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    order = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert set(order["required"]) == {
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


def test_given_the_schema_then_status_and_webhook_paths_are_listed(schema):
    assert "get" in schema["paths"]["/api/v1/orders/{id}"]
    assert "post" in schema["paths"]["/api/v1/webhooks/shopify/{channel_code}/orders-create"]


def test_given_the_schema_as_yaml_by_default_then_it_names_the_intake(client):
    response = client.get("/api/v1/schema")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert b"/api/v1/orders:" in response.content
    assert b"Idempotency-Key" in response.content


def test_given_the_docs_page_then_200_html_pointing_at_the_schema(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/v1/schema" in response.content


def test_the_docs_page_loads_swagger_ui_from_our_static_files_not_a_cdn(client):
    from django.contrib.staticfiles import finders

    page = client.get("/api/v1/docs").content.decode()

    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/drf_spectacular_sidecar/") for src in scripts)
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    for src in scripts:
        assert finders.find(src.removeprefix("/static/")), src
