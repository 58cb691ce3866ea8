"""Detail pages reached from the dashboard: Retry/Resolve on an order's page, links, times."""
# ruff: noqa: F811 - the fixtures imported from dashboard_fixtures are used as arguments

import json
import re

import pytest
from django.urls import reverse

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.orders.services import IntakeRequest, accept_order
from tests.console.dashboard_fixtures import (  # noqa: F401 - fixtures by name
    finance_user,
    operator,
    shop,
)
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db

WITH_SECONDS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Publishing is recorded, never sent."""


@pytest.fixture
def failed_order(shop):
    body = canonical_order("WEB-DETAIL-1", sku="BEANIE-RED")
    order = accept_order(
        IntakeRequest(shop, "tests", "key-detail-1", json.dumps(body).encode(), "c"), body
    ).order
    posting = order.erp_transaction
    posting.start_attempt(60)
    posting.fail("mapping_missing", "missing mappings for channel demo-web: sku BEANIE-RED")
    return order


def order_url(order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def test_a_failed_orders_page_offers_retry_now_and_resolve_to_operations(
    client, operator, failed_order
):
    client.force_login(operator)
    posting = failed_order.erp_transaction

    page = client.get(order_url(failed_order)).content.decode()

    retry = reverse("admin:audit_synctransaction_retry", args=[posting.pk])
    assert f'formaction="{retry}" name="next" value="{order_url(failed_order)}">Retry now' in page
    assert reverse("admin:audit_synctransaction_resolve", args=[posting.pk]) in page
    assert 'name="_save"' not in page
    assert reverse("admin:audit_synctransaction_change", args=[posting.pk]) in page  # order -> tx


def test_retry_now_from_the_order_page_comes_back_to_it(client, operator, failed_order):
    client.force_login(operator)
    posting = failed_order.erp_transaction
    retry = reverse("admin:audit_synctransaction_retry", args=[posting.pk])

    response = client.post(retry, {"next": order_url(failed_order)})

    assert (response.status_code, response.url) == (302, order_url(failed_order))
    replayed = SyncTransaction.objects.get(pk=posting.pk)
    assert replayed.state == TransactionState.RECEIVED
    event = replayed.events.order_by("-id").first()
    assert (event.kind, event.actor) == (EventKind.REPLAYED, operator)
    page = client.get(response.url).content.decode()
    assert "1 transaction(s) sent for retry" in page
    assert "Retry now" not in page  # not failed any more


def test_retry_now_never_sends_the_browser_to_another_site(client, operator, failed_order):
    client.force_login(operator)
    posting = failed_order.erp_transaction
    retry = reverse("admin:audit_synctransaction_retry", args=[posting.pk])

    response = client.post(retry, {"next": "https://evil.example/admin/"})

    assert response.url == reverse("admin:audit_synctransaction_change", args=[posting.pk])


def test_finance_get_no_buttons_on_the_order_page(client, finance_user, failed_order):
    client.force_login(finance_user)
    page = client.get(order_url(failed_order)).content.decode()
    assert "Retry now" not in page
    posting = failed_order.erp_transaction
    assert reverse("admin:audit_synctransaction_change", args=[posting.pk]) in page
    assert reverse("admin:audit_synctransaction_retry", args=[posting.pk]) not in page


def test_the_transaction_page_links_its_order_says_its_kind_and_shows_seconds(
    client, operator, failed_order
):
    client.force_login(operator)
    posting = failed_order.erp_transaction

    page = client.get(reverse("admin:audit_synctransaction_change", args=[posting.pk]))
    html = page.content.decode()

    assert order_url(failed_order) in html  # tx -> order
    assert "erp.order.post: ERP sales order posting" in html
    assert "A declared transaction kind" not in html
    created = re.search(r'field-created_at.*?<div class="readonly">(.*?)</div>', html, re.S)
    assert WITH_SECONDS.fullmatch(created.group(1).strip()), created.group(1)


def test_the_lists_show_times_with_seconds(client, operator, failed_order):
    client.force_login(operator)
    for url in (
        reverse("admin:audit_synctransaction_changelist"),
        reverse("admin:orders_order_changelist"),
    ):
        cells = re.findall(
            r'<td class="field-created_at[^"]*">(.*?)</td>', client.get(url).content.decode()
        )
        assert cells and all(WITH_SECONDS.fullmatch(cell) for cell in cells), (url, cells)
