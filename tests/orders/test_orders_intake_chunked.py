"""A body sent with Transfer-Encoding: chunked (no Content-Length) is read, or refused with 411.

Django's WSGI request reads Content-Length bytes, so a chunked body used to read
as empty and an order was refused naming every field. gunicorn de-chunks the
body and says so with ``wsgi.input_terminated``; the in-process tests craft that
environ, and one test posts through a real gunicorn.
"""

import json
import os
from io import BytesIO
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.db import connection

from syncplatform.orders.models import Order
from tests.orders.conftest import ORDERS_URL, make_channel, shopify_signature
from tests.support.orders import canonical_order
from tests.support.processes import BIN, ServerProcess, child_env, free_port

SHOPIFY_URL = "/api/v1/webhooks/shopify/web-shop/orders-create"


@pytest.fixture
def post_chunked(client):
    """POST ``raw`` as a WSGI server passes a chunked body: no CONTENT_LENGTH at all."""

    def post(raw: bytes, *, headers: dict, url: str = ORDERS_URL, is_terminated: bool = True):
        environ = {"wsgi.input": BytesIO(raw), "HTTP_TRANSFER_ENCODING": "chunked"}
        if is_terminated:
            environ["wsgi.input_terminated"] = True
        return client.generic(
            "POST", url, headers=headers, CONTENT_TYPE="application/json", **environ
        )

    return post


@pytest.fixture
def order_headers(channel) -> dict:
    return {"Authorization": f"Bearer {channel.api_key}", "Idempotency-Key": "chunked-1"}


@pytest.mark.django_db
def test_given_a_chunked_order_from_a_server_that_ends_the_input_then_it_is_read_and_stored(
    post_chunked, order_headers
):
    response = post_chunked(
        json.dumps(canonical_order("WEB-CHUNKED")).encode(), headers=order_headers
    )

    assert response.status_code == 202, response.content
    assert Order.objects.get().channel_order_number == "WEB-CHUNKED"


@pytest.mark.django_db
def test_given_a_chunked_order_from_a_server_that_promises_no_end_then_411(
    post_chunked, order_headers, counts, assert_problem
):
    before = counts()

    response = post_chunked(
        json.dumps(canonical_order()).encode(), headers=order_headers, is_terminated=False
    )

    problem = assert_problem(response, 411, "length-required")
    assert "errors" not in problem
    assert counts() == before


@pytest.mark.django_db
def test_given_a_chunked_order_over_the_size_limit_then_413(
    post_chunked, order_headers, counts, assert_problem, settings
):
    raw = json.dumps(canonical_order()).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(raw) - 1
    before = counts()

    response = post_chunked(raw, headers=order_headers)

    assert_problem(response, 413, "body-too-large")
    assert counts() == before


@pytest.mark.django_db
def test_given_a_chunked_order_at_the_size_limit_then_accepted(
    post_chunked, order_headers, settings
):
    raw = json.dumps(canonical_order()).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(raw)

    assert post_chunked(raw, headers=order_headers).status_code == 202


@pytest.mark.django_db
def test_given_a_chunked_signed_webhook_then_the_signature_is_checked_on_the_read_body(
    post_chunked, channel, counts, assert_problem
):
    # A body that cannot be mapped is enough: it is held as sent (202), so it was read
    # and its signature held (an empty body would have failed the signature: 401).
    raw = json.dumps({"id": 1}).encode()
    headers = {"X-Shopify-Hmac-Sha256": shopify_signature(raw), "X-Shopify-Webhook-Id": "w-1"}

    response = post_chunked(raw, headers=headers, url=SHOPIFY_URL)

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "held"


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """gunicorn serving the platform on the test database (PostgreSQL: it is another process).

    It connects as DATABASE_URL's role, the runtime role, as deployed (tests/e2e/conftest.py).
    """
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs the PostgreSQL test database (make test)")
    runtime = urlsplit(os.environ["DATABASE_URL"])
    env = child_env(
        DATABASE_URL=urlunsplit(runtime._replace(path=f"/{connection.settings_dict['NAME']}")),
        # The order's posting is published to folders nobody reads, not to RabbitMQ.
        CELERY_BROKER_URL="filesystem://",
        SYNC_BROKER_DIR=str(tmp_path / "broker"),
        DJANGO_SETTINGS_MODULE="syncplatform.settings",
    )
    port = free_port()
    server = ServerProcess(
        "web-chunked",
        [str(BIN / "gunicorn"), "syncplatform.wsgi", "--bind", f"127.0.0.1:{port}"],
        env=env,
        log_dir=tmp_path,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(f"{base_url}/healthz")
        yield base_url
    finally:
        server.stop()


@pytest.mark.e2e
def test_given_a_chunked_order_through_gunicorn_then_202_and_stored(gunicorn, erp_partner):
    channel = make_channel("web-shop", erp_partner)
    raw = json.dumps(canonical_order("WEB-GUNICORN")).encode()
    pieces = (raw[i : i + 100] for i in range(0, len(raw), 100))  # a generator: sent chunked

    response = requests.post(
        f"{gunicorn}{ORDERS_URL}",
        data=pieces,
        timeout=30,
        headers={
            "Authorization": f"Bearer {channel.api_key}",
            "Idempotency-Key": "chunked-gunicorn",
            "Content-Type": "application/json",
        },
    )

    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 202, response.text
    assert Order.objects.get().channel_order_number == "WEB-GUNICORN"
