"""The operations console in Chromium on the real server: dashboard, failure groups, fixes.

Screenshots of each page land in var/test-artifacts/admin/<test name>/ (see conftest).
"""

import pytest
from playwright.sync_api import expect

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.console.rollup import roll_up_recent_hours
from syncplatform.orders.models import Order
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order

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


def test_operations_fix_a_missing_mapping_from_the_dashboard_and_the_order_posts_by_itself(
    demo_channel, web_server, start_worker, admin_browser, staff_user
):
    # given: an order the worker failed because SKU BEANIE-RED has no mapping
    start_worker()
    staff_user("olga", "operations")
    accepted = post_order(
        web_server,
        demo_channel.api_key,
        canonical_order("E2E-CONSOLE-1", sku="BEANIE-RED"),
        "k-console-1",
    ).json()
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "failed")
    tx = Order.objects.get(pk=accepted["id"]).erp_transaction
    roll_up_recent_hours()  # what the beat's console.rollup job does every minute
    browser, page = admin_browser, admin_browser.page

    # when operations log in, the admin's home page is the dashboard, showing the failure
    browser.log_in("olga", "olga-password-1")
    expect(page.locator("#tile-failed .console-figure")).to_have_text("1")
    expect(page.locator("#panel-failing")).to_contain_text("mapping_missing")
    expect(page.locator("#tile-queues")).to_contain_text("realtime")
    expect(page.locator("svg.console-chart")).to_have_count(4)
    fallout = page.locator("svg[aria-label='Order fallout rate'] g.series")
    assert fallout.get_attribute("data-values").endswith(",100")  # 1 of 1 failed this hour
    group = page.locator("#panel-groups").get_by_role(
        "link", name="1 order: SKU BEANIE-RED has no mapping (demo-web)"
    )
    expect(group).to_be_visible()
    browser.shot("dashboard-with-failure")

    # and they open its group, in a second tab, leaving the dashboard open in the first
    dashboard = page
    page = page.context.new_page()
    page.goto(f"{web_server}{group.get_attribute('href')}")
    expect(page.locator("#group-transactions")).to_contain_text("E2E-CONSOLE-1")
    expect(
        page.locator("#group-transactions").get_by_role("link", name=f"#{tx.pk}")
    ).to_be_visible()
    browser.page = page
    browser.shot("failure-group")

    # and add the mapping from the group's pre-filled link
    page.get_by_role("link", name="Add the mapping").click()
    expect(page.locator("#id_channel_sku")).to_have_value("BEANIE-RED")
    expect(page.locator("#id_channel option:checked")).to_have_text("demo-web")
    page.fill("#id_erp_material", "MAT-BEANIE")
    browser.shot("add-mapping-prefilled")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")

    # then, without anyone pressing retry, the order is posted
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "posted")
    replayed = tx.events.get(kind=EventKind.REPLAYED)
    assert (replayed.actor.username, replayed.message) == (
        "olga",
        "retried because mapping sku BEANIE-RED was added by olga",
    )
    page.goto(f"{web_server}/admin/audit/synctransaction/{tx.pk}/change/")
    expect(page.locator("#content-main")).to_contain_text(
        "retried because mapping sku BEANIE-RED was added by olga"
    )
    browser.shot("transaction-retried-by-the-mapping")

    # and the dashboard left open redraws itself: nothing failed any more
    expect(dashboard.locator("#tile-failed .console-figure")).to_have_text("0", timeout=60_000)
    expect(dashboard.locator("#panel-groups")).to_contain_text("No open failures.")
    browser.page = dashboard
    browser.shot("dashboard-redrawn")

    # and the lists read at 1366 px
    for path, step in (
        ("/admin/audit/synctransaction/", "transactions-list"),
        ("/admin/orders/order/", "orders-list"),
        ("/admin/console/failures/", "failures-list-empty"),
    ):
        browser.open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366, path
        browser.shot(step)


def test_operations_resolve_a_group_with_a_reason(
    demo_channel, web_server, admin_browser, staff_user
):
    # given: two orders failed for the same withdrawn SKU
    staff_user("olga", "operations")
    failed = [
        failed_posting(web_server, demo_channel, f"E2E-CONSOLE-R{n}", "WITHDRAWN-9") for n in (1, 2)
    ]
    browser, page = admin_browser, admin_browser.page

    # when operations open the failures page and the group
    browser.log_in("olga", "olga-password-1")
    browser.open("/admin/console/failures/")
    title = "2 orders: SKU WITHDRAWN-9 has no mapping (demo-web)"
    expect(page.locator("#failure-groups")).to_contain_text(title)
    browser.shot("failures-by-cause")
    page.get_by_role("link", name=title).click()

    # and press Resolve all with only blanks for a reason: refused, nothing changed
    page.fill("#id_reason", "   ")  # an empty field the browser itself would not send
    page.get_by_role("button", name="Resolve all with this reason").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Give a reason to resolve them.")
    browser.shot("group-resolve-needs-a-reason")
    assert {SyncTransaction.objects.get(pk=tx.pk).state for tx in failed} == {"failed"}

    # when they give one
    page.fill("#id_reason", "SKU withdrawn from sale; customers refunded")
    page.get_by_role("button", name="Resolve all with this reason").click()

    # then both are resolved with the reason and who gave it, and the group is gone
    expect(page.locator("ul.messagelist")).to_contain_text("2 resolved")
    expect(page.locator("#failure-groups")).not_to_contain_text("WITHDRAWN-9")
    browser.shot("group-resolved")
    for tx in failed:
        event = SyncTransaction.objects.get(pk=tx.pk).events.get(kind=EventKind.RESOLVED)
        assert (event.actor.username, event.message) == (
            "olga",
            "SKU withdrawn from sale; customers refunded",
        )


def test_finance_see_the_groups_without_mapping_edits_or_buttons(
    demo_channel, web_server, admin_browser, staff_user
):
    # given: a failed posting and a finance user
    staff_user("fiona", "finance")
    failed_posting(web_server, demo_channel, "E2E-CONSOLE-F1", "NEW-HAT-3")
    browser, page = admin_browser, admin_browser.page

    # when finance open the dashboard and the group
    browser.log_in("fiona", "fiona-password-1")
    expect(page.locator("#tile-failed .console-figure")).to_have_text("1")
    browser.shot("dashboard-as-finance")
    page.get_by_role("link", name="1 order: SKU NEW-HAT-3 has no mapping (demo-web)").click()

    # then they read it, but nothing there changes a mapping or a transaction
    expect(page.locator("#group-transactions")).to_contain_text("E2E-CONSOLE-F1")
    expect(page.get_by_role("link", name="Add the mapping")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry all in this group")).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve all with this reason")).to_have_count(0)
    browser.shot("failure-group-read-only")
    assert browser.open("/admin/mappings/skumapping/add/?channel_sku=NEW-HAT-3").status == 403


def test_operations_retry_a_failed_posting_from_its_orders_page(
    demo_channel, web_server, admin_browser, staff_user
):
    # given: a failed posting, and operations on its order's page
    staff_user("olga", "operations")
    tx = failed_posting(web_server, demo_channel, "E2E-CONSOLE-O1", "LATE-SKU-5")
    browser, page = admin_browser, admin_browser.page
    browser.log_in("olga", "olga-password-1")
    browser.open(f"/admin/orders/order/{tx.subject_id}/change/")
    expect(page.locator(".field-shown_status")).to_contain_text("Failed")
    expect(page.get_by_role("link", name="Resolve", exact=True)).to_be_visible()
    expect(page.locator("input[name='_save']")).to_have_count(0)
    browser.shot("order-with-failed-posting")

    # when they press Retry now there
    page.get_by_role("button", name="Retry now").click()

    # then the posting is sent again and they are back on the order's page
    expect(page.locator("ul.messagelist")).to_contain_text("1 transaction(s) sent for retry")
    expect(page.locator(".field-channel_order_number")).to_contain_text("E2E-CONSOLE-O1")
    expect(page.get_by_role("button", name="Retry now")).to_have_count(0)
    browser.shot("order-retried")
    event = SyncTransaction.objects.get(pk=tx.pk).events.order_by("-id").first()
    assert (event.kind, event.actor.username, event.message) == (
        EventKind.REPLAYED,
        "olga",
        "retry now",
    )
