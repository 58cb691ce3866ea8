"""The Orders admin shows the status channels see: an order whose posting failed is "Failed"."""

import json

import pytest
from django.urls import reverse

from syncplatform.audit.runner import run_transaction
from syncplatform.core.errors import NeedsPerson
from syncplatform.orders.services import IntakeRequest, accept_order
from tests.support.orders import canonical_order


@pytest.fixture
def accept(channel):
    def create(number: str, **fields):
        order = canonical_order(number) | fields
        request = IntakeRequest(
            channel, "admin-tests", f"key-{number}", json.dumps(order).encode(), "c"
        )
        return accept_order(request, order).order

    return create


def fail_posting(order) -> None:
    def refuse(tx):
        raise NeedsPerson("sku TSHIRT-BLK-M has no mapping")

    run_transaction(order.erp_transaction.pk, refuse)


def test_a_failed_posting_shows_as_failed_and_the_filters_find_it(accept, admin_client):
    failed, waiting = accept("WEB-FAILED"), accept("WEB-WAITING")
    fail_posting(failed)
    url = reverse("admin:orders_order_changelist")

    listing = admin_client.get(url)
    only_failed = admin_client.get(url, {"status": "failed"})
    only_received = admin_client.get(url, {"status": "received"})
    page = admin_client.get(reverse("admin:orders_order_change", args=[failed.pk]))

    rows = {o.channel_order_number: o for o in listing.context["cl"].result_list}
    assert listing.context["cl"].model_admin.shown_status(rows["WEB-FAILED"]) == "Failed"
    assert listing.context["cl"].model_admin.shown_status(rows["WEB-WAITING"]) == "Received"
    assert [o.pk for o in only_failed.context["cl"].result_list] == [failed.pk]
    assert [o.pk for o in only_received.context["cl"].result_list] == [waiting.pk]
    assert "Failed" in page.content.decode()


def test_the_search_finds_an_order_by_the_name_its_shop_and_payouts_use(accept, admin_client):
    named = accept("450789469", channel_order_name="#1001")
    accept("450789470", channel_order_name="#1002")

    found = admin_client.get(reverse("admin:orders_order_changelist"), {"q": "#1001"})

    assert [o.pk for o in found.context["cl"].result_list] == [named.pk]
