"""Errors outside the views: unrouted API URLs answer problem JSON; other URLs keep HTML."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/orders", "/api/v1/orders/abc"])
def test_given_an_unrouted_api_url_then_404_problem_json_with_correlation_id(client, path):
    response = client.get(path, headers={"X-Correlation-ID": "trace-404-0001"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem == {
        "type": "https://syncplatform.dev/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": f"no API resource at {path}",
        "correlation_id": "trace-404-0001",
    }
    assert response["X-Correlation-ID"] == "trace-404-0001"


def test_given_an_unrouted_page_outside_the_api_then_django_html_404(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Correlation-ID"]
