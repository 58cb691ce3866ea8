"""Reconciliation as finance and operations meet it: in Chromium, on the real server.

Finance asks for November's report in the admin, a batch worker makes it, and
the report's page shows its progress, the tie-out and the files. Operations
find the exception they can fix, without the settlement amounts, and follow it
to the order and its failed posting.
"""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from syncplatform.finance.models import ReconciliationReport
from syncplatform.partners.models import Partner
from tests.finance.histories import history
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e

INV = ("100.00", "D1", None, None)
PAID = ("100.00", "3.20", None)
# What finance's migration grants (a transactional test's flush empties the groups).
FINANCE = [
    "view_reconciliationreport", "add_reconciliationreport", "download_reconciliationreport",
    "view_settlement_amounts", "view_reconciliationexception",
]  # fmt: skip
OPERATIONS = ["view_reconciliationreport", "view_reconciliationexception"]


def grant(user, codenames: list[str]) -> None:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="finance", codename__in=codenames)
    )


def test_finance_requests_a_report_and_operations_work_its_exceptions(
    transactional_db, web_server, start_worker, admin_browser, staff_user
):
    # given: a channel's November, one order matched, one the ERP never got
    channel = Partner.objects.create(code="shop-j", name="Shop J", kind="channel")
    erp = Partner.objects.create(code="erp-j", name="ERP J", kind="erp")
    history(channel, erp, invoices=[INV], settlements=[PAID], ordered_on=date(2026, 11, 3))
    stuck = history(
        channel, erp, in_erp=False, shipped=0, status="received", failed_posting=True,
        settlements=[PAID], ordered_on=date(2026, 11, 4),
    )  # fmt: skip
    start_worker("batch", queues="batch")
    grant(staff_user("fiona", "finance"), FINANCE)
    grant(staff_user("olga", "operations"), OPERATIONS)
    browser, page = admin_browser, admin_browser.page

    # when finance asks for November
    browser.log_in("fiona", "fiona-password-1")
    page.get_by_role("link", name="Reconciliation reports").click()
    page.get_by_role("link", name="Add reconciliation report").click()
    page.select_option("#id_channels", label="shop-j")
    page.fill("#id_period_from", "2026-11-01")
    page.fill("#id_period_to", "2026-11-30")
    browser.shot("request")
    page.get_by_role("button", name="Save", exact=True).click()

    # then the worker makes it and its page shows the progress, the tie-out and the files
    report = wait_until(
        lambda: ReconciliationReport.objects.filter(status="done").first(),
        timeout=60,
        what="report",
    )
    browser.open(f"/admin/finance/reconciliationreport/{report.pk}/change/")
    expect(page.locator(".field-progress")).to_contain_text("2 of 2 orders (100 %)")
    expect(page.locator("#report-summary")).to_contain_text("The totals tie out.")
    expect(page.locator("#report-summary")).to_contain_text("settled_gross")
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    expect(page.get_by_role("link", name="Download XLSX")).to_be_visible()
    browser.shot("report-done")

    # when operations open the exceptions
    page.context.clear_cookies()
    browser.log_in("olga", "olga-password-1")
    browser.open("/admin/finance/reconciliationexception/")
    page.locator("details[data-filter-title='status']").get_by_role(
        "link", name="Not in the ERP"
    ).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("operations can fix: the ERP posting failed")
    expect(page.locator("#result_list thead")).not_to_contain_text("settled")
    browser.shot("exceptions-operations")

    # then the exception leads to the failed posting, and to the order
    rows.get_by_role("link", name="open the transaction").click()
    expect(page.locator(".field-last_error_code")).to_contain_text("mapping_missing")
    page.go_back()
    page.locator("#result_list").get_by_role("link", name=stuck.channel_order_number).click()
    expect(page.locator(".field-channel_order_number")).to_contain_text(stuck.channel_order_number)
    browser.shot("order")
    # and the report's page offers operations no files
    browser.open(f"/admin/finance/reconciliationreport/{report.pk}/change/")
    expect(page.get_by_role("link", name="Download CSV")).to_have_count(0)
    expect(page.locator("#report-summary")).not_to_contain_text("settled_gross")
