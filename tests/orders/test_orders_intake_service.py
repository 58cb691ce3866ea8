"""accept_order speaks the domain: it says what it did, or raises; HTTP is the views' business."""

import ast
import inspect
import json

import pytest

from syncplatform.orders import services
from syncplatform.orders.api.serializers import CanonicalOrderSerializer
from syncplatform.orders.models import Order
from syncplatform.orders.services import (
    IdempotencyKeyReused,
    IntakeOutcome,
    IntakeRequest,
    accept_order,
)
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def accept(channel):
    """``accept(order dict, key)`` → accept_order's result for that order under ``key``."""

    def call(order: dict, key: str):
        serializer = CanonicalOrderSerializer(data=order)
        serializer.is_valid(raise_exception=True)
        request = IntakeRequest(
            channel=channel,
            idempotency_scope="test",
            idempotency_key=key,
            body=json.dumps(order).encode(),
            correlation_id="c" * 32,
        )
        return accept_order(request, serializer.validated_data)

    return call


def test_given_a_new_order_then_the_outcome_is_new(accept):
    result = accept(canonical_order("WEB-1"), "k-1")

    assert result.outcome is IntakeOutcome.NEW
    assert result.order == Order.objects.get(channel_order_number="WEB-1")


def test_given_the_same_key_and_body_again_then_a_replay_of_the_same_order(accept):
    first = accept(canonical_order("WEB-1"), "k-1")

    again = accept(canonical_order("WEB-1"), "k-1")

    assert again.outcome is IntakeOutcome.REPLAY
    assert again.order.pk == first.order.pk
    assert Order.objects.count() == 1


def test_given_the_same_key_with_another_body_then_idempotency_key_reused(accept):
    first = accept(canonical_order("WEB-1"), "k-1")

    with pytest.raises(IdempotencyKeyReused) as reused:
        accept(canonical_order("WEB-2"), "k-1")

    assert reused.value.order.pk == first.order.pk
    assert list(Order.objects.values_list("channel_order_number", flat=True)) == ["WEB-1"]


def test_given_a_known_order_number_under_a_new_key_then_the_existing_order(accept):
    first = accept(canonical_order("WEB-1"), "k-1")

    again = accept(canonical_order("WEB-1"), "k-2")

    assert again.outcome is IntakeOutcome.EXISTING_BY_NUMBER
    assert again.order.pk == first.order.pk
    assert Order.objects.count() == 1


def test_the_order_services_import_nothing_from_http():
    tree = ast.parse(inspect.getsource(services))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    assert not imported & {"django.urls", "django.http", "syncplatform.core.problems"}
    assert not any(name.startswith("rest_framework") for name in imported)
