"""Reconciliation through real servers: orders that went through the real flows, a report
finance requests in the admin of a real web server, run by a batch worker, downloaded.

Order A is posted to the sandbox ERP over SOAP, sent to the warehouse in a 940,
shipped by its 945, confirmed to the ERP in a SHPCON IDoc, billed by the ERP's
INVOIC02 pushed back to us, and paid in an imported Shopify payout file: it
matches. Order B is posted and paid but never shipped or billed: it is
``settled_not_invoiced``. The files are checked cell by cell.
"""

import csv
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from syncplatform.erpdocs.models import Invoice, Posting
from syncplatform.erpdocs.services import send_idoc_postings
from syncplatform.finance.models import ReconciliationReport
from syncplatform.finance.services.files import COLUMNS, HEADER, number_format
from syncplatform.orders.models import Order
from syncplatform.settlements.services import import_settlements
from tests.e2e.conftest import AdminSession
from tests.e2e.test_erpdocs_e2e import (  # noqa: F401 - idoc_erp, sftp_folder, warehouse: fixtures
    _succeeded,
    idoc_erp,
    settle_statuses,
    sftp_folder,
    shipped,
    warehouse,
)
from tests.settlements.payout_files import shopify_file, shopify_row
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import wait_until
from tests.support.roles import role

pytestmark = pytest.mark.e2e


@pytest.fixture
def finance_session(transactional_db, web_server, tmp_path, settings):
    user = User.objects.create_user("fin", password="fin-password-1", is_staff=True)
    user.groups.add(role("finance"))  # as migrate made it, again after a flush
    return AdminSession(web_server, "fin", "fin-password-1")


def csrf_post(session: AdminSession, path: str, data: dict):
    url = f"{session.base_url}{path}"
    session.http.get(url, timeout=10)
    return session.http.post(
        url,
        data={**data, "csrfmiddlewaretoken": session.http.cookies["csrftoken"]},
        headers={"Referer": url},
        timeout=30,
        allow_redirects=False,
    )


@pytest.mark.usefixtures("erp")
def test_a_month_of_real_orders_reconciles_and_downloads_as_csv_and_xlsx(
    request, demo_channel, web_server, start_worker, finance_session
):
    idoc_config = request.getfixturevalue("idoc_erp")
    warehouse_partner = request.getfixturevalue("warehouse")
    folder = request.getfixturevalue("sftp_folder")
    start_worker(queues="realtime,batch")
    # order A: posted, shipped, confirmed, invoiced by the ERP
    order_a = shipped(web_server, demo_channel, warehouse_partner, folder, "FIN-A", 931)
    [package] = send_idoc_postings(idoc_config.partner_id)
    assert _succeeded(package.transaction_id)
    settle_statuses(idoc_config.partner_id)
    assert Posting.objects.get(order=order_a).state == "posted"
    wait_until(lambda: Invoice.objects.filter(order=order_a).exists(), timeout=60, what="invoice")
    # order B: posted only
    accepted = post_order(web_server, demo_channel.api_key, canonical_order("FIN-B"), "FIN-B")
    wait_for_status(web_server, demo_channel.api_key, accepted.json()["id"], "posted")
    order_b = Order.objects.get(pk=accepted.json()["id"])
    # both paid, in a Shopify payout file
    payout = shopify_file(
        shopify_row("#FIN-A", amount=str(order_a.grand_total), fee="1.78",
                    net=str(order_a.grand_total - Decimal("1.78"))),
        shopify_row("#FIN-B", amount=str(order_b.grand_total), fee="1.78",
                    net=str(order_b.grand_total - Decimal("1.78"))),
    )  # fmt: skip
    imported = import_settlements(demo_channel, io.BytesIO(payout), "payout.csv")
    assert (imported.accepted, imported.matched) == (2, 2), imported

    # finance asks for November in the admin; a batch worker makes it
    response = csrf_post(
        finance_session,
        "/admin/finance/reconciliationreport/add/",
        {"channels": [demo_channel.pk], "period_from": "2026-11-01", "period_to": "2026-11-30",
         "basis": "order-date", "tolerance": "", "format": "both"},
    )  # fmt: skip
    assert response.status_code == 302, response.text[:2000]
    report = wait_until(
        lambda: ReconciliationReport.objects.filter(status__in=("done", "failed")).first(),
        timeout=60,
        what="the report",
    )
    assert report.status == "done", report.error
    page = finance_session.http.get(
        f"{web_server}/admin/finance/reconciliationreport/{report.pk}/change/", timeout=10
    ).text
    assert "2 of 2 orders (100 %)" in page
    assert "The totals tie out." in page

    # the CSV
    csv_body = download(finance_session, page, "csv")
    assert hashlib.sha256(csv_body).hexdigest() == report.csv_sha256
    rows = list(csv.DictReader(io.StringIO(csv_body.decode("utf-8"))))
    by_number = {row["channel_order_number"]: row for row in rows}
    a, b = by_number["FIN-A"], by_number["FIN-B"]
    assert (a["status"], a["other_reasons"]) == ("matched", ""), a
    assert (b["status"], b["other_reasons"]) == ("settled_not_invoiced", ""), b
    assert a["erp_document_number"] == order_a.erp_document_number
    assert Decimal(a["erp_value"]) == order_a.grand_total
    assert Decimal(a["invoiced_value"]) == order_a.grand_total
    assert Decimal(a["shipped_value"]) == order_a.grand_total
    assert Decimal(a["settled_gross"]) == order_a.grand_total
    assert a["settled_fee"] == "1.78" and a["invoice_count"] == "1"
    assert (b["invoice_count"], b["shipped_quantity"]) == ("0", "0")
    assert a["order_url"].endswith(f"/admin/orders/order/{order_a.pk}/change/")

    # the XLSX: the same rows, cell by cell
    xlsx_body = download(finance_session, page, "xlsx")
    assert hashlib.sha256(xlsx_body).hexdigest() == report.xlsx_sha256
    workbook = load_workbook(io.BytesIO(xlsx_body))
    sheet = workbook["All orders"]
    assert [c.value for c in sheet[1]] == list(HEADER)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:AA3"
    for cells, row in zip(sheet.iter_rows(min_row=2), rows, strict=True):
        for cell, (name, kind, _) in zip(cells, COLUMNS, strict=True):
            if cell.value is None:
                assert row[name] == "", name
            elif kind == "date":
                assert cell.value.date().isoformat() == row[name]
                assert cell.number_format == number_format("date", row["currency"])
            elif kind == "money":
                assert Decimal(str(cell.value)) == Decimal(row[name]), name
                assert cell.number_format == number_format(kind, row["currency"]) == "#,##0.00####"
            elif kind == "int":
                assert cell.value == int(row[name])
            else:
                assert cell.value == row[name], name
    exceptions = [[c.value for c in r] for r in workbook["Exceptions"].iter_rows(min_row=2)]
    assert [r[HEADER.index("channel_order_number")] for r in exceptions] == ["FIN-B"]
    summary = [[c.value for c in r] for r in workbook["Summary"].iter_rows()]
    assert summary[3][:4] == ["demo-web", "USD", "total", 2]
    assert summary[-1][:7] == ["demo-web", "USD", 102.26, 102.26, 0, 0, "yes"]  # the tie-out


def download(session: AdminSession, page: str, kind: str) -> bytes:
    [path] = re.findall(rf'href="(/admin/finance/reconciliationreport/\d+/download/{kind}/)"', page)
    response = session.http.get(f"{session.base_url}{path}", timeout=30)
    assert response.status_code == 200
    return response.content
