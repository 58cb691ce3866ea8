"""Who may post orders: the channel's API key, and an Idempotency-Key on every POST."""

import pytest

from syncplatform.partners.models import ApiClient
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db

ORDERS_URL = "/api/v1/orders"


@pytest.fixture
def refused(api, counts, published, assert_problem):
    """POST the demo order with ``headers``; assert the problem and that nothing was stored."""

    def check(headers: dict, status: int, slug: str, fields: list[str] | None = None):
        before = counts()
        response = api.post(
            ORDERS_URL,
            canonical_order(),
            format="json",
            headers={"Idempotency-Key": "k-1"} | headers,
        )
        problem = assert_problem(response, status, slug, fields=fields)
        assert counts() == before
        assert published == []
        return response, problem

    return check


def test_given_no_authorization_when_posted_then_401_with_www_authenticate(refused):
    response, problem = refused({}, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="syncplatform"'
    assert "Authorization: Bearer" in problem["detail"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token sp_abc_def", "sp_abc_def"],
)
def test_given_an_authorization_that_is_not_a_bearer_key_when_posted_then_401(
    refused, authorization
):
    response, _ = refused({"Authorization": authorization}, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="syncplatform"'


def test_given_a_wrong_api_key_when_posted_then_401(refused, channel):
    scheme, prefix, secret = channel.api_key.split("_", 2)
    wrong = f"{scheme}_{prefix}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    response, problem = refused({"Authorization": f"Bearer {wrong}"}, 401, "unauthenticated")
    assert problem["detail"] == "the API key is unknown or revoked"
    assert response["WWW-Authenticate"] == 'Bearer realm="syncplatform"'


@pytest.mark.parametrize("key", ["sp_000000000000_nothing", "garbage", "sp__", "sp_x"])
def test_given_an_unknown_api_key_when_posted_then_401(refused, channel, key):
    refused({"Authorization": f"Bearer {key}"}, 401, "unauthenticated")


def test_given_a_revoked_api_key_when_posted_then_401(refused, channel):
    ApiClient.objects.filter(pk=channel.api_client.pk).update(is_active=False)
    refused({"Authorization": f"Bearer {channel.api_key}"}, 401, "unauthenticated")


def test_given_the_key_of_an_inactive_channel_when_posted_then_401(refused, channel):
    channel.is_active = False
    channel.save()
    refused({"Authorization": f"Bearer {channel.api_key}"}, 401, "unauthenticated")


def test_given_a_valid_key_in_lowercase_scheme_when_posted_then_accepted(api, channel):
    response = api.post(
        ORDERS_URL,
        canonical_order(),
        format="json",
        headers={"Authorization": f"bearer {channel.api_key}", "Idempotency-Key": "k-1"},
    )
    assert response.status_code == 202


def test_given_no_idempotency_key_when_posted_then_400_naming_the_header(
    post_order, counts, assert_problem
):
    response = post_order(canonical_order(), key=None)
    assert_problem(response, 400, "idempotency-key-required", fields=["Idempotency-Key"])
    assert counts()["orders"] == 0


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there", "bell\x07"])
def test_given_an_invalid_idempotency_key_when_posted_then_400(
    post_order, counts, published, assert_problem, key
):
    before = counts()
    response = post_order(canonical_order(), key=key)
    assert_problem(response, 400, "idempotency-key-required", fields=["Idempotency-Key"])
    assert counts() == before
    assert published == []


@pytest.mark.parametrize("key", ["k", "k" * 255, "order WEB-100234 / try 1"])
def test_given_an_idempotency_key_of_1_to_255_printable_chars_when_posted_then_accepted(
    post_order, key
):
    from syncplatform.orders.models import Order

    response = post_order(canonical_order(), key=key)
    assert response.status_code == 202
    assert Order.objects.get().idempotency_key == key


def test_given_a_bad_key_and_no_idempotency_key_when_posted_then_authentication_comes_first(
    api, assert_problem
):
    response = api.post(
        ORDERS_URL, canonical_order(), format="json", headers={"Authorization": "Bearer nope"}
    )
    assert_problem(response, 401, "unauthenticated")
