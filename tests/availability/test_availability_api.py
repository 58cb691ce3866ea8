"""GET /api/v1/availability: a channel's figures per location, and every bad query's answer."""

import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from syncplatform.availability.models import Availability
from syncplatform.core.problems import CONTENT_TYPE, PROBLEM_BASE
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from syncplatform.partners.services import issue_api_key


@pytest.fixture
def api(channel, mappings):
    _, key = issue_api_key(channel, "shop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def stored(channel, warehouse):
    """TSHIRT-BLK-M: 7 at STORE-017, 10 at WEB-DC (as a recompute would have stored them)."""
    for location, available in (("STORE-017", 7), ("WEB-DC", 10)):
        Availability.objects.create(
            channel=channel,
            channel_sku="TSHIRT-BLK-M",
            channel_location=location,
            warehouse=warehouse,
            material="MAT-100200",
            stock_quantity=10,
            open_order_quantity=10 - available,
            available=available,
            computed_at=timezone.now(),
        )


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == CONTENT_TYPE
    body = json.loads(response.content)
    assert (body["type"], body["status"]) == (PROBLEM_BASE + slug, status)
    assert body["correlation_id"] == response["X-Correlation-ID"]
    return body


def test_a_sku_answers_each_location_and_the_sum(api, stored):
    response = api.get("/api/v1/availability", {"sku": "TSHIRT-BLK-M"})

    assert response.status_code == 200
    body = response.json()
    assert body["sku"] == "TSHIRT-BLK-M"
    assert body["available"] == 17
    assert [(r["location"], r["available"]) for r in body["locations"]] == [
        ("STORE-017", 7),
        ("WEB-DC", 10),
    ]
    assert all(r["updated_at"] for r in body["locations"])


def test_one_location(api, stored):
    response = api.get("/api/v1/availability", {"sku": "TSHIRT-BLK-M", "location": "WEB-DC"})

    assert response.status_code == 200
    assert response.json()["available"] == 10
    assert [r["location"] for r in response.json()["locations"]] == ["WEB-DC"]


def test_a_mapped_sku_never_reported_is_zero_with_no_locations(api, stored):
    response = api.get("/api/v1/availability", {"sku": "SOCKS-3PK"})

    assert response.status_code == 200
    assert response.json() == {"sku": "SOCKS-3PK", "available": 0, "locations": []}


def test_an_unknown_sku_is_a_404_problem(api, stored):
    body = problem(api.get("/api/v1/availability", {"sku": "NO-SUCH-SKU"}), 404, "unknown-sku")
    assert "NO-SUCH-SKU" in body["detail"]


def test_an_unknown_location_is_a_404_problem(api, stored):
    response = api.get("/api/v1/availability", {"sku": "TSHIRT-BLK-M", "location": "MARS-1"})
    body = problem(response, 404, "unknown-location")
    assert "MARS-1" in body["detail"]


def test_another_channels_figures_are_not_visible(stored, mappings):
    other = Partner.objects.create(code="pos", name="POS", kind=PartnerKind.CHANNEL)
    _, key = issue_api_key(other, "pos")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    problem(client.get("/api/v1/availability", {"sku": "TSHIRT-BLK-M"}), 404, "unknown-sku")


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({}, ["sku"]),
        ({"sku": ""}, ["sku"]),
        ({"sku": "X" * 81}, ["sku"]),
        ({"sku": "TSHIRT\x07"}, ["sku"]),
        ({"sku": "TSHIRT-BLK-M", "location": "L" * 41}, ["location"]),
        ({"sku": "", "location": "L" * 41}, ["sku", "location"]),
    ],
)
def test_a_bad_query_is_a_400_problem_naming_the_field(api, stored, query, fields):
    body = problem(api.get("/api/v1/availability", query), 400, "invalid-query")

    assert [e["field"] for e in body["errors"]] == fields


def test_no_api_key_is_a_401_problem(stored, db):
    problem(
        APIClient().get("/api/v1/availability", {"sku": "TSHIRT-BLK-M"}), 401, "unauthenticated"
    )


def test_the_schema_documents_the_endpoint(api):
    response = APIClient().get("/api/v1/schema", {"format": "json"})
    operation = response.json()["paths"]["/api/v1/availability"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"sku", "location"}
    assert set(operation["responses"]) == {"200", "400", "401", "404"}
