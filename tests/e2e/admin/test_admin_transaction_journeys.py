"""A failed order posting as operations and finance meet it: in Chromium, on the real server."""

import pytest
from playwright.sync_api import expect

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.orders.models import Order
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


def failed_posting(web_server, channel, number: str, sku: str) -> SyncTransaction:
    """An order whose SKU has no mapping, posted by the channel and run here: it fails."""
    response = post_order(web_server, channel.api_key, canonical_order(number, sku=sku), number)
    assert response.status_code == 202, response.text
    tx = Order.objects.get(pk=response.json()["id"]).erp_transaction
    run_transaction(tx.pk)
    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "mapping_missing")
    return tx


def event_row(page, label: str):
    return page.locator("tr", has=page.locator("td.field-kind", has_text=label))


def shown_state(page) -> str:
    return page.locator(".field-state .readonly").inner_text().strip()


def test_operations_fix_the_missing_mapping_found_by_filters_and_it_is_retried_by_itself(
    demo_channel, web_server, start_worker, admin_browser, staff_user
):
    # given: an order the worker failed because its SKU has no mapping
    start_worker()
    staff_user("olga", "operations")
    accepted = post_order(
        web_server,
        demo_channel.api_key,
        canonical_order("E2E-ADMIN-1", sku="NEW-SKU-7"),
        "k-admin-1",
    ).json()
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "failed")
    tx = Order.objects.get(pk=accepted["id"]).erp_transaction
    browser, page = admin_browser, admin_browser.page

    # when operations find it: Audit > Transactions, failed, mapping_missing
    browser.log_in("olga", "olga-password-1")
    page.get_by_role("link", name="Transactions", exact=True).click()
    page.locator("details[data-filter-title='state']").get_by_role("link", name="Failed").click()
    page.locator("details[data-filter-title='last error code']").get_by_role(
        "link", name="mapping_missing"
    ).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    browser.shot("failed-transactions")
    page.locator("#result_list").get_by_role("link", name=str(tx.pk), exact=True).click()

    # then its page says what is missing and links to the order, and back
    expect(page.locator(".field-last_error_message")).to_contain_text("sku NEW-SKU-7")
    expect(page.get_by_role("button", name="Retry now")).to_be_visible()
    expect(page.locator("input[name='_save']")).to_have_count(0)
    browser.shot("transaction-failed")
    page.locator(".field-subject_link a").click()
    expect(page.locator(".field-channel_order_number")).to_contain_text("E2E-ADMIN-1")
    expect(page.locator("input[name='_save']")).to_have_count(0)
    browser.shot("order")
    page.locator(".field-transactions").get_by_role("link", name=f"#{tx.pk} failed").click()
    expect(page.locator(".field-last_error_code")).to_contain_text("mapping_missing")

    # when the mapping is added in the mappings admin
    browser.open("/admin/mappings/skumapping/add/")
    page.select_option("#id_channel", label="demo-web")
    page.fill("#id_channel_sku", "NEW-SKU-7")
    page.fill("#id_erp_material", "MAT-777")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    browser.shot("mapping-added")

    # then the posting goes round again by itself (the console retries what a new mapping
    # unblocks), posts, and the history says why and who; Retry now is not needed any more
    browser.open(f"/admin/audit/synctransaction/{tx.pk}/change/")

    def posted():
        page.reload()
        return shown_state(page) == "Succeeded"

    wait_until(posted, timeout=60, interval=1, what="the retried posting to succeed")
    expect(event_row(page, "Replayed by operator")).to_contain_text("olga")
    expect(page.get_by_role("button", name="Retry now")).to_have_count(0)
    browser.shot("transaction-succeeded")
    replayed = tx.events.get(kind=EventKind.REPLAYED)
    assert (replayed.actor.username, replayed.message) == (
        "olga",
        "retried because mapping sku NEW-SKU-7 was added by olga",
    )
    page.locator(".field-subject_link a").click()
    expect(page.locator(".field-shown_status")).to_contain_text("Posted")


def test_operations_resolve_a_failed_transaction_only_with_a_reason(
    demo_channel, web_server, admin_browser, staff_user
):
    # given: a failed posting
    staff_user("olga", "operations")
    tx = failed_posting(web_server, demo_channel, "E2E-ADMIN-2", "GONE-SKU-1")
    browser, page = admin_browser, admin_browser.page

    # when operations find it by its order number and press Resolve without a reason
    browser.log_in("olga", "olga-password-1")
    browser.open("/admin/audit/synctransaction/")
    page.fill("#searchbar", "E2E-ADMIN-2")
    page.keyboard.press("Enter")
    page.locator("#result_list").get_by_role("link", name=str(tx.pk), exact=True).click()
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator("#content-main")).to_contain_text("sku GONE-SKU-1")
    page.get_by_role("button", name="Resolve").click()

    # then it is refused, saying why, and nothing changed
    expect(page.locator("ul.messagelist")).to_contain_text("Give a reason to resolve it.")
    expect(page.locator(".errorlist")).to_contain_text("This field is required.")
    browser.shot("reason-required")
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED

    # when a reason is given
    page.fill("#id_reason", "SKU withdrawn; the customer was refunded")
    page.get_by_role("button", name="Resolve").click()

    # then it is resolved, and the history has the reason and who gave it
    expect(page.locator("ul.messagelist")).to_contain_text(f"Transaction #{tx.pk} resolved")
    assert shown_state(page) == "Resolved"
    resolved_row = event_row(page, "Resolved by operator")
    expect(resolved_row).to_contain_text("SKU withdrawn; the customer was refunded")
    expect(resolved_row).to_contain_text("olga")
    expect(page.get_by_role("button", name="Resolve", exact=True)).to_have_count(0)
    event = tx.events.get(kind=EventKind.RESOLVED)
    assert (event.actor.username, event.message) == (
        "olga",
        "SKU withdrawn; the customer was refunded",
    )


def test_finance_reads_transactions_but_cannot_retry_or_resolve_them(
    demo_channel, web_server, admin_browser, staff_user
):
    # given: a failed posting and a finance user
    staff_user("fiona", "finance")
    tx = failed_posting(web_server, demo_channel, "E2E-ADMIN-3", "GONE-SKU-2")
    browser, page = admin_browser, admin_browser.page

    # when finance open it from Audit > Transactions
    browser.log_in("fiona", "fiona-password-1")
    page.get_by_role("link", name="Transactions", exact=True).click()
    expect(page.locator("select[name='action']")).to_have_count(0)
    page.locator("#result_list").get_by_role("link", name=str(tx.pk), exact=True).click()

    # then they read the error but get no buttons, and posting them anyway is refused
    expect(page.locator(".field-last_error_message")).to_contain_text("sku GONE-SKU-2")
    expect(page.get_by_role("button", name="Retry now")).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve", exact=True)).to_have_count(0)
    browser.shot("transaction-read-only")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for action, form in (("retry", {}), ("resolve", {"reason": "not mine to close"})):
        url = f"{web_server}/admin/audit/synctransaction/{tx.pk}/{action}/"
        response = page.request.post(
            url,
            form={"csrfmiddlewaretoken": token, **form},
            headers={"Referer": page.url},
            max_redirects=0,
        )
        assert response.status == 403, (action, response.status)
    assert SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED
    # and the mappings are not theirs to edit
    assert browser.open("/admin/mappings/skumapping/add/").status == 403
