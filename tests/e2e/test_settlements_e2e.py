"""Settlement inputs end to end: orders posted through the real worker to the sandbox ERP
keep the ERP's value, and finance imports a Shopify payout file through the real admin.

Real gunicorn, Celery worker, RabbitMQ, PostgreSQL and sandbox ERP (SOAP over HTTP).
"""

import importlib
import re
from decimal import Decimal

import pytest

from syncplatform.orders.models import Order
from syncplatform.settlements.choices import ImportStatus
from syncplatform.settlements.models import SettlementImport, SettlementLine
from tests.e2e.conftest import AdminSession
from tests.settlements.payout_files import shopify_file, shopify_row
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order

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
