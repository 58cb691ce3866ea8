"""Edit and replay in Chromium: operations correct a failed order's address and SKU, it posts."""

import pytest
from playwright.sync_api import expect

from syncplatform.audit.choices import EventKind
from syncplatform.orders.models import Order
from tests.support.api import order_status, post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


def test_operations_edit_a_failed_orders_address_and_replay_it(
    demo_channel, web_server, start_worker, admin_browser, staff_user
):
    # given: an order whose SKU was mistyped by the shop, failed for a missing mapping
    start_worker()
    staff_user("olga", "operations")
    accepted = post_order(
        web_server,
        demo_channel.api_key,
        canonical_order("E2E-EDIT-1", sku="TSHIRT-BLK-MM"),
        "k-edit-1",
    ).json()
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "failed")
    order = Order.objects.get(pk=accepted["id"])
    posting = order.erp_transaction
    browser, page = admin_browser, admin_browser.page

    # when operations find it among the failed orders and open the correction form
    browser.log_in("olga", "olga-password-1")
    browser.open("/admin/orders/order/?status=failed")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    browser.shot("failed-orders")
    page.locator("#result_list").get_by_role("link", name=str(order.pk), exact=True).click()
    expect(page.locator(".field-shown_status")).to_contain_text("Failed")
    browser.shot("order-failed")
    page.get_by_role("link", name="Correct address or SKUs and replay").click()
    expect(page.locator("#content-main")).to_contain_text("sku TSHIRT-BLK-MM")
    expect(page.locator("#id_ship_to_line1")).to_have_value("1 Main St")

    # and correct the street (the customer called) and the SKU, then save
    page.fill("#id_ship_to_line1", "1 Main Street")
    page.fill("#id_line_1_sku", "TSHIRT-BLK-M")
    page.fill("#id_reason", "customer called; shop sent a mistyped SKU")
    browser.shot("correction")
    page.get_by_role("button", name="Save and replay").click()

    # then the order page says what changed, and the posting runs again and posts
    expect(page.locator("ul.messagelist")).to_contain_text(
        "ship_to_line1: '1 Main St' → '1 Main Street'"
    )
    browser.shot("corrected")

    def posted():
        return order_status(web_server, demo_channel.api_key, order.pk)["status"] == "posted"

    wait_until(posted, timeout=60, interval=1, what="the corrected order to post")
    page.reload()
    expect(page.locator(".field-shown_status")).to_contain_text("Posted")
    expect(page.locator(".field-ship_to_line1")).to_contain_text("1 Main Street")
    expect(page.get_by_role("link", name="Correct address or SKUs and replay")).to_have_count(0)
    browser.shot("order-posted")

    # and the posting's history keeps the original, who changed it and that it was replayed
    browser.open(f"/admin/audit/synctransaction/{posting.pk}/change/")
    history = page.locator("#content-main")
    expect(history).to_contain_text("order corrected by olga")
    expect(history).to_contain_text("line 1 sku: 'TSHIRT-BLK-MM' → 'TSHIRT-BLK-M'")
    expect(history).to_contain_text("Replayed by operator")
    browser.shot("posting-history")
    note = posting.events.get(kind=EventKind.NOTE)
    assert note.actor.username == "olga"
    assert note.message.endswith("(customer called; shop sent a mistyped SKU)")
    order.refresh_from_db()
    assert (order.ship_to_line1, order.lines.get().sku) == ("1 Main Street", "TSHIRT-BLK-M")
    assert order.erp_document_number
