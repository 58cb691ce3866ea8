"""Settlement inputs end to end: orders posted through the real worker to the sandbox ERP
keep the ERP's value, and finance imports a Shopify payout file through the real admin.
A real Shopify webhook order, stored under Shopify's id, is settled by the payout row
that names it as Shopify does (#1001) and shows so in the report.

Real gunicorn, Celery worker, RabbitMQ, PostgreSQL and sandbox ERP (SOAP over HTTP).
"""

import csv
import importlib
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from syncplatform.finance.models import ReconciliationReport
from syncplatform.finance.services import request_report
from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.models import CodeMapping, CustomerMapping, SkuMapping
from syncplatform.orders.models import Order
from syncplatform.settlements.choices import ImportStatus
from syncplatform.settlements.models import SettlementImport, SettlementLine
from tests.e2e.conftest import AdminSession
from tests.e2e.test_shopify_webhook_e2e import SAMPLES, deliver, sign
from tests.settlements.payout_files import shopify_file, shopify_row
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import wait_until
from tests.support.roles import role

pytestmark = pytest.mark.e2e

# What the roles migration grants finance; transactional tests empty the groups it made.
FINANCE = importlib.import_module("syncplatform.settlements.migrations.0002_roles").FINANCE


@pytest.fixture
def finance_session(transactional_db, web_server) -> AdminSession:
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("fin", password="fin-password-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="settlements", codename__in=FINANCE)
    )
    return AdminSession(web_server, "fin", "fin-password-1")


def upload(session: AdminSession, channel, content: bytes, name: str):
    url = f"{session.base_url}/admin/settlements/settlementimport/add/"
    session.http.get(url, timeout=10)
    return session.http.post(
        url,
        timeout=60,
        headers={"Referer": url},
        data={"channel": channel.pk, "csrfmiddlewaretoken": session.http.cookies["csrftoken"]},
        files={"file": (name, content, "text/csv")},
    )


def posted_order(web_server, channel, number: str) -> Order:
    response = post_order(web_server, channel.api_key, canonical_order(number), f"k-{number}")
    assert response.status_code == 202, response.text
    wait_for_status(web_server, channel.api_key, response.json()["id"], "posted", sweep=True)
    return Order.objects.get(pk=response.json()["id"])


def test_posted_orders_keep_the_erp_value_and_a_payout_file_settles_them(
    demo_channel, web_server, erp, start_worker, finance_session
):
    # given two orders posted by a real worker, the second while the ERP prices its material
    # a cent above the channel (2 x 0.005)
    start_worker()
    agreed = posted_order(web_server, demo_channel, "1001")
    erp.configure(price_differences={"MAT-100200": "0.005"})
    try:
        differing = posted_order(web_server, demo_channel, "1002")
    finally:
        erp.configure(price_differences={"MAT-100200": "0"})

    # then each keeps what the ERP confirmed
    assert (agreed.erp_net_value, agreed.erp_tax_value, agreed.erp_currency) == (
        Decimal("47.93"),
        Decimal("3.20"),
        "USD",
    )
    assert agreed.erp_net_value + agreed.erp_tax_value == agreed.grand_total
    assert differing.erp_net_value + differing.erp_tax_value - differing.grand_total == (
        Decimal("0.01")
    )

    # when finance uploads Shopify's payout export naming them #1001 and #1002
    content = shopify_file(
        shopify_row("#1001", amount="51.13", fee="1.78", net="49.35"),
        shopify_row("#1002", amount="51.13", fee="1.78", net="49.35"),
        shopify_row("#1002", kind="refund", amount="-5.00", fee="0.00", net="-5.00"),
    )
    page = upload(finance_session, demo_channel, content, "payment_transactions_export_1.csv")

    # then the lines are stored against the orders and the import page says so
    assert page.status_code == 200
    assert "3 lines imported, 3 matched to orders." in page.text
    lines = SettlementLine.objects.order_by("line_number")
    assert [(line.order_id, line.kind, line.net) for line in lines] == [
        (agreed.pk, "charge", Decimal("49.35")),
        (differing.pk, "charge", Decimal("49.35")),
        (differing.pk, "refund", Decimal("-5.00")),
    ]
    assert SettlementImport.objects.get().imported_by.username == "fin"

    # and the same file again changes nothing
    again = upload(finance_session, demo_channel, content, "copy.csv")
    assert "was already imported on" in again.text and "nothing changed." in again.text
    assert SettlementLine.objects.count() == 3


def test_a_payout_file_with_bad_rows_is_refused_whole_through_the_admin(
    demo_channel, web_server, finance_session
):
    content = shopify_file(
        shopify_row("#1001"),
        shopify_row("#1002", amount="fifty"),
        shopify_row("#1003", payout_date="next week"),
    )

    page = upload(finance_session, demo_channel, content, "bad.csv")

    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    # (the admin's message list capitalises the first letter)
    assert "Bad.csv: 2 row(s) refused, so nothing was imported" in text
    assert "line 3: refused: Amount &#x27;fifty&#x27; is not an amount" in text
    assert "line 4: refused: Payout Date &#x27;next week&#x27; is not a date" in text
    assert SettlementImport.objects.get().status == ImportStatus.REFUSED
    assert SettlementLine.objects.count() == 0


# Shopify's reference order (REST 2026-07): id 450789469, name "#1001", 598.94 USD.
REFERENCE_ORDER = "shopify-app-js__rest_2026-07_order_find_450789469.json"


def map_the_reference_order(channel) -> None:
    """What the demo mappings lack for the sample: its SKUs, tax, shipping and customer."""
    for sku, material in (
        ("IPOD2008GREEN", "MAT-100200"),
        ("IPOD2008RED", "MAT-100201"),
        ("IPOD2008BLACK", "MAT-100310"),
    ):
        SkuMapping.objects.create(
            channel=channel, channel_sku=sku, erp_material=material, erp_unit="EA"
        )
    CodeMapping.objects.create(
        channel=channel, code_type=CodeType.TAX, channel_code="State Tax", erp_code="S1"
    )
    CodeMapping.objects.create(
        channel=channel,
        code_type=CodeType.SHIPPING_METHOD,
        channel_code="Free Shipping",
        erp_code="01",
    )
    CustomerMapping.objects.create(
        channel=channel, channel_customer_id="207119551", erp_sold_to="0000100778"
    )


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples folder at {SAMPLES}")
def test_a_shopify_webhook_order_is_settled_by_the_payout_row_naming_it(
    demo_channel, web_server, erp, start_worker
):
    # given Shopify's reference order, delivered by its signed webhook and posted to the ERP
    body = json.dumps(json.loads((SAMPLES / REFERENCE_ORDER).read_bytes())["order"]).encode()
    map_the_reference_order(demo_channel)
    start_worker(queues="realtime,batch")
    delivered = deliver(web_server, body, sign(body), "wh-reference-1001")
    assert delivered.status_code == 202, delivered.text
    order = Order.objects.get()
    assert (order.channel_order_number, order.channel_order_name) == ("450789469", "#1001")
    wait_until(
        lambda: Order.objects.get(pk=order.pk).status == "posted",
        timeout=60,
        what="the webhook order to be posted",
    )

    # when finance uploads Shopify's payout export, which names the order #1001
    from django.contrib.auth.models import User

    user = User.objects.create_user("fin", password="fin-password-1", is_staff=True)
    user.groups.add(role("finance"))
    session = AdminSession(web_server, "fin", "fin-password-1")
    content = shopify_file(shopify_row("#1001", amount="598.94", fee="17.67", net="581.27"))
    page = upload(session, demo_channel, content, "payment_transactions_export_1.csv")

    # then its line is the order's
    assert "1 lines imported, 1 matched to orders." in page.text
    assert SettlementLine.objects.get().order_id == order.pk

    # and the report over the order's month, made by a batch worker, shows it settled
    # (asked for through the service: the admin's request form is test_finance_e2e's; the
    # session-wide web server caches content type ids that each test's flush renews)
    request_report(
        channels=[demo_channel],
        period_from=date(2008, 1, 1),
        period_to=date(2008, 1, 31),
        format="csv",
        requested_by=user,
    )
    report = wait_until(
        lambda: ReconciliationReport.objects.filter(status__in=("done", "failed")).first(),
        timeout=60,
        what="the report",
    )
    assert report.status == "done", report.error
    # (the download itself: the report's page would have the server cache content type ids)
    download = session.http.get(
        f"{web_server}/admin/finance/reconciliationreport/{report.pk}/download/csv/", timeout=30
    )
    assert download.status_code == 200
    [row] = csv.DictReader(io.StringIO(download.content.decode("utf-8")))
    assert row["channel_order_number"] == "450789469"
    assert (row["channel_total"], row["settled_gross"], row["settled_fee"], row["settled_net"]) == (
        "598.94",
        "598.94",
        "17.67",
        "581.27",
    )
    assert row["last_payout_date"] == "2026-11-25"
    # posted and paid, not yet shipped or billed: settled, so not "not settled after n days"
    assert (row["status"], row["other_reasons"]) == ("settled_not_invoiced", "")
