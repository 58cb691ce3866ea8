"""Retry now and Resolve on a transaction's own page; the read-only pages have no Save row."""

import hashlib
import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.fulfillment.models import Interchange
from syncplatform.orders.services import IntakeRequest, accept_order
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from tests.support.orders import canonical_order

pytestmark = pytest.mark.django_db

POST_TASK = "syncplatform.audit.tasks.run_transaction_task"


def change_url(tx) -> str:
    return reverse("admin:audit_synctransaction_change", args=[tx.pk])


def retry_url(tx) -> str:
    return reverse("admin:audit_synctransaction_retry", args=[tx.pk])


def resolve_url(tx) -> str:
    return reverse("admin:audit_synctransaction_resolve", args=[tx.pk])


def shown_messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def state_of(tx) -> str:
    return SyncTransaction.objects.get(pk=tx.pk).state


def last_event(tx):
    return SyncTransaction.objects.get(pk=tx.pk).events.order_by("-id").first()


@pytest.fixture
def ops_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def finance_client(client, finance_user):
    client.force_login(finance_user)
    return client


# --- the buttons on the page ------------------------------------------------------------


def test_a_failed_transaction_page_offers_retry_now_and_resolve_to_operations(
    ops_client, failed_transaction
):
    tx = failed_transaction()

    html = ops_client.get(change_url(tx)).content.decode()

    assert f'<form method="post" action="{retry_url(tx)}">' in html
    assert 'value="Retry now"' in html
    assert f'<form method="get" action="{resolve_url(tx)}">' in html
    assert 'value="Resolve"' in html
    assert 'name="_save"' not in html  # still a read-only page


def test_a_transaction_that_did_not_fail_has_no_buttons(ops_client, succeeded_transaction):
    tx = succeeded_transaction()

    html = ops_client.get(change_url(tx)).content.decode()

    assert "Retry now" not in html
    assert resolve_url(tx) not in html


def test_finance_sees_the_failed_transaction_without_buttons_and_may_not_post_them(
    finance_client, failed_transaction, published
):
    tx = failed_transaction()

    page = finance_client.get(change_url(tx))
    retried = finance_client.post(retry_url(tx))
    form = finance_client.get(resolve_url(tx))
    resolved = finance_client.post(resolve_url(tx), {"reason": "not ours"})

    assert page.status_code == 200
    assert "material MAT-1 is blocked" in page.content.decode()
    assert "Retry now" not in page.content.decode()
    assert (retried.status_code, form.status_code, resolved.status_code) == (403, 403, 403)
    assert state_of(tx) == TransactionState.FAILED
    assert published == []


# --- Retry now ----------------------------------------------------------------------------


def test_retry_now_sends_it_round_again_and_comes_back_to_the_page(
    ops_client, operator, failed_transaction, published, django_capture_on_commit_callbacks
):
    tx = failed_transaction()

    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(retry_url(tx))

    assert (response.status_code, response["Location"]) == (302, change_url(tx))
    assert shown_messages(response) == [("success", "1 transaction(s) sent for retry")]
    assert state_of(tx) == TransactionState.RECEIVED
    assert published == [(POST_TASK, [tx.pk])]
    event = last_event(tx)
    assert (event.kind, event.actor, event.message) == ("replayed", operator, "retry now")


def test_retry_now_is_post_only(ops_client, failed_transaction, published):
    tx = failed_transaction()

    assert ops_client.get(retry_url(tx)).status_code == 405
    assert state_of(tx) == TransactionState.FAILED
    assert published == []


def test_retry_now_needs_the_csrf_token(operator, failed_transaction, published):
    from django.test import Client

    tx = failed_transaction()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)

    assert browser.post(retry_url(tx)).status_code == 403
    assert state_of(tx) == TransactionState.FAILED


def test_retry_now_on_one_that_no_longer_failed_changes_nothing_and_says_so(
    ops_client, succeeded_transaction, published, django_capture_on_commit_callbacks
):
    tx = succeeded_transaction()
    events_before = tx.events.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(retry_url(tx))

    assert response.status_code == 302
    assert ("warning", f"skipped, not failed: #{tx.pk} (succeeded)") in shown_messages(response)
    assert state_of(tx) == TransactionState.SUCCEEDED
    assert tx.events.count() == events_before
    assert published == []


def test_retry_now_of_a_transaction_that_does_not_exist_is_404(ops_client):
    assert (
        ops_client.post(reverse("admin:audit_synctransaction_retry", args=[999999])).status_code
        == 404
    )


# --- Resolve --------------------------------------------------------------------------------


def test_resolve_asks_for_a_reason_first(ops_client, failed_transaction):
    tx = failed_transaction()

    page = ops_client.get(resolve_url(tx))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html
    assert "material MAT-1 is blocked" in html
    assert state_of(tx) == TransactionState.FAILED


@pytest.mark.parametrize("reason", ["", "   "])
def test_resolve_without_a_reason_is_refused_with_a_message(ops_client, failed_transaction, reason):
    tx = failed_transaction()

    response = ops_client.post(resolve_url(tx), {"reason": reason})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert ("error", "Give a reason to resolve it.") in shown_messages(response)
    assert state_of(tx) == TransactionState.FAILED


def test_resolve_with_a_reason_closes_it_and_the_history_says_who_and_why(
    ops_client, operator, failed_transaction, published
):
    tx = failed_transaction()

    response = ops_client.post(resolve_url(tx), {"reason": "cancelled by the customer"})

    assert (response.status_code, response["Location"]) == (302, change_url(tx))
    assert shown_messages(response) == [("success", f"Transaction #{tx.pk} resolved")]
    assert state_of(tx) == TransactionState.RESOLVED
    event = last_event(tx)
    assert (event.kind, event.actor, event.message) == (
        "resolved",
        operator,
        "cancelled by the customer",
    )
    assert published == []


def test_resolve_of_one_that_no_longer_failed_goes_back_to_its_page(
    ops_client, succeeded_transaction
):
    tx = succeeded_transaction()

    response = ops_client.post(resolve_url(tx), {"reason": "too late"})

    assert (response.status_code, response["Location"]) == (302, change_url(tx))
    assert shown_messages(response) == [
        ("warning", f"#{tx.pk} is succeeded, not failed: nothing to resolve")
    ]
    assert state_of(tx) == TransactionState.SUCCEEDED


# --- read-only pages ------------------------------------------------------------------------


def test_transaction_order_and_interchange_pages_are_view_only_even_for_a_superuser(
    admin_client, channel, failed_transaction
):
    body = canonical_order("WEB-VIEW")
    order = accept_order(
        IntakeRequest(channel, "tests", "key-view", json.dumps(body).encode(), "c"), body
    ).order
    warehouse = Partner.objects.create(code="w-3pl", name="W", kind=PartnerKind.WAREHOUSE)
    interchange = Interchange.objects.create(
        direction="in",
        partner=warehouse,
        file_name="junk.edi",
        sha256=hashlib.sha256(b"junk").hexdigest(),
        content=b"junk",
        state="failed",
    )
    pages = [
        change_url(failed_transaction()),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:fulfillment_interchange_change", args=[interchange.pk]),
    ]

    for url in pages:
        page = admin_client.get(url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode(), url
        assert 'class="closelink"' in page.content.decode(), url
    assert admin_client.post(pages[1], {"channel_order_number": "X"}).status_code == 403
    assert admin_client.post(pages[2], {"file_name": "renamed.edi"}).status_code == 403
    assert Interchange.objects.get(pk=interchange.pk).file_name == "junk.edi"
    # the file's custom page and its replay action still work
    download = reverse("admin:fulfillment_interchange_download", args=[interchange.pk])
    assert admin_client.get(download).content == b"junk"
    changelist = admin_client.get(reverse("admin:fulfillment_interchange_changelist"))
    assert "replay_files" in dict(changelist.context["action_form"].fields["action"].choices)
