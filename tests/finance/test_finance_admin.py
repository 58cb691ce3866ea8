"""Finance and operations in the reconciliation admin: request, progress, download, permissions."""

import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.finance.choices import FINANCE_RECONCILE
from syncplatform.finance.models import ReconciliationException, ReconciliationReport
from tests.finance.histories import history

INV = ("100.00", "D1", None, None)
PAID = ("100.00", "3.20", None)
ADD = "admin:finance_reconciliationreport_add"


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Reports are run here by calling the runner; nothing reaches a broker."""


def request_body(channel, **changes) -> dict:
    return {
        "channels": [channel.pk],
        "period_from": "2026-11-01",
        "period_to": "2026-11-30",
        "basis": "order-date",
        "tolerance": "",
        "format": "both",
        **changes,
    }


@pytest.fixture
def finished_report(
    client, finance_user, channel, erp, published, django_capture_on_commit_callbacks
):
    """A report finance requested in the admin, run as the batch worker runs it."""
    history(channel, erp, invoices=[INV], settlements=[PAID])
    history(channel, erp, in_erp=False, shipped=0, status="received", failed_posting=True)
    history(channel, erp, invoices=[INV], settlements=[("80.00", "2.00", None)])
    client.force_login(finance_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(ADD), request_body(channel))
    assert response.status_code == 302, response.content.decode()[:3000]
    report = ReconciliationReport.objects.get()
    tx = SyncTransaction.objects.get(kind=FINANCE_RECONCILE)
    run_transaction(tx.pk)
    report.refresh_from_db()
    client.logout()
    return report


def test_finance_requests_a_report_and_downloads_both_files(
    client, finance_user, finished_report, published
):
    # given a report requested by finance and run by the job
    report = finished_report
    tx = SyncTransaction.objects.get(kind=FINANCE_RECONCILE)
    assert [name for name, args in published] == ["syncplatform.audit.tasks.run_transaction_task"]
    assert published[0][1] == [tx.pk]
    assert tx.state == "succeeded" and tx.subject_id == report.pk
    assert report.requested_by == finance_user
    assert report.status == "done" and (report.rows_done, report.rows_total) == (3, 3)
    assert report.summary["ties_out"] is True
    # when finance opens it
    client.force_login(finance_user)
    page = client.get(reverse("admin:finance_reconciliationreport_change", args=[report.pk]))
    # then it shows the progress, the tie-out and the files
    text = page.content.decode()
    assert page.status_code == 200
    assert "3 of 3 orders (100 %)" in text
    assert "The totals tie out." in text
    assert "settled_gross" in text
    for kind, sha in (("csv", report.csv_sha256), ("xlsx", report.xlsx_sha256)):
        url = reverse("admin:finance_reconciliationreport_download", args=[report.pk, kind])
        assert url in text
        download = client.get(url)
        assert download.status_code == 200
        body = b"".join(download.streaming_content)
        assert hashlib.sha256(body).hexdigest() == sha
    assert body.startswith(b"PK")  # the xlsx is a zip
    # and the exceptions are listed with the order and the failed posting a click away
    rows = ReconciliationException.objects.filter(report=report)
    assert sorted(rows.values_list("status", flat=True)) == ["not_in_erp", "settled_amount_differs"]
    listing = client.get(reverse("admin:finance_reconciliationexception_changelist"))
    listed = listing.content.decode()
    failed = rows.get(status="not_in_erp")
    assert reverse("admin:orders_order_change", args=[failed.order_id]) in listed
    assert (
        reverse("admin:audit_synctransaction_change", args=[failed.failed_transaction_id]) in listed
    )
    assert "operations can fix: the ERP posting failed" in listed
    assert "column-settled_gross" in listed


def test_operations_see_exceptions_without_settlement_amounts_until_granted(
    client, operator, finished_report
):
    client.force_login(operator)
    listing = client.get(reverse("admin:finance_reconciliationexception_changelist"))
    assert listing.status_code == 200
    assert "not_in_erp" in listing.content.decode()
    assert "column-settled_gross" not in listing.content.decode()
    page = client.get(
        reverse("admin:finance_reconciliationreport_change", args=[finished_report.pk])
    )
    assert page.status_code == 200
    assert "The totals tie out." in page.content.decode()
    assert "settled_gross" not in page.content.decode()
    assert "/download/" not in page.content.decode()
    # granted by an admin
    operator.user_permissions.add(Permission.objects.get(codename="view_settlement_amounts"))
    listing = client.get(reverse("admin:finance_reconciliationexception_changelist"))
    assert "column-settled_gross" in listing.content.decode()


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [
        ("finance", "list reports", 200),
        ("finance", "request a report", 200),
        ("finance", "download", 200),
        ("finance", "list exceptions", 200),
        ("finance", "upload settlements", 200),
        ("finance", "change an order", 403),
        ("finance", "add a mapping", 403),
        ("finance", "retry a transaction", 403),
        ("operations", "list reports", 200),
        ("operations", "request a report", 403),
        ("operations", "download", 403),
        ("operations", "list exceptions", 200),
        ("operations", "change an order", 403),
    ],
)
def test_permission_matrix(client, finance_user, operator, finished_report, who, action, expected):
    client.force_login(finance_user if who == "finance" else operator)
    order_id = ReconciliationException.objects.get(status="not_in_erp").order_id
    tx = SyncTransaction.objects.get(kind="erp.order.post")
    requests = {
        "list reports": ("get", reverse("admin:finance_reconciliationreport_changelist")),
        "request a report": ("get", reverse(ADD)),
        "download": (
            "get",
            reverse(
                "admin:finance_reconciliationreport_download", args=[finished_report.pk, "csv"]
            ),
        ),
        "list exceptions": ("get", reverse("admin:finance_reconciliationexception_changelist")),
        "upload settlements": ("get", reverse("admin:settlements_settlementimport_add")),
        "change an order": ("post", reverse("admin:orders_order_change", args=[order_id])),
        "add a mapping": ("get", reverse("admin:mappings_skumapping_add")),
        "retry a transaction": ("post", reverse("admin:audit_synctransaction_retry", args=[tx.pk])),
    }
    method, url = requests[action]
    response = getattr(client, method)(url)
    assert response.status_code == expected, (who, action, response.status_code)


def test_a_period_that_ends_before_it_starts_is_refused_and_nothing_is_queued(
    client, finance_user, channel, published
):
    client.force_login(finance_user)
    response = client.post(
        reverse(ADD), request_body(channel, period_from="2026-11-30", period_to="2026-11-01")
    )
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()
    assert not ReconciliationReport.objects.exists()
    assert published == []


def test_the_order_of_an_exception_lists_its_transactions(client, operator, finished_report):
    client.force_login(operator)
    row = ReconciliationException.objects.get(status="not_in_erp")
    page = client.get(reverse("admin:orders_order_change", args=[row.order_id]))
    assert page.status_code == 200
    assert reverse("admin:audit_synctransaction_change", args=[row.failed_transaction_id]) in (
        page.content.decode()
    )
