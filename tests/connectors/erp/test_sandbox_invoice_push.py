"""The sandbox ERP billing a goods issue and pushing the INVOIC02 to a platform this test runs."""

import base64
import threading
import time
from collections import deque
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.erp.sandbox.__main__ import invoice_settings, parse_arguments
from connectors.idoc import Invoice, read_package
from tests.connectors.erp.idoc_packages import (
    IDOC_DEFAULTS,
    a_message_id,
    create_sales_order,
    idoc_client,
    package,
    shipment_confirmation,
    wait_for_final,
)
from tests.support.processes import free_port, wait_until

USER, PASSWORD = "sandbox-erp", "push-secret"


class PlatformInbound:
    """An HTTP server standing in for ``POST /api/v1/erp/<partner>/idocs``.

    Answers 401 without the expected basic auth or API key, else the next of
    ``answers`` (202 once they are used up); records every request.
    """

    def __init__(self):
        self.received: list[tuple[float, dict, bytes]] = []
        self.answers: deque[int] = deque()
        self.credentials = f"Basic {base64.b64encode(f'{USER}:{PASSWORD}'.encode()).decode()}"
        self.api_key: tuple[str, str] | None = None
        inbound = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                inbound.received.append((time.time(), dict(self.headers), body))
                self.send_response(inbound.answer_for(self.headers))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/erp/demo-erp/idocs"
        serving = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serving.start()

    def answer_for(self, headers) -> int:
        if self.api_key is not None:
            name, key = self.api_key
            is_authorised = headers.get(name) == key
        else:
            is_authorised = headers.get("Authorization") == self.credentials
        if not is_authorised:
            return 401
        return self.answers.popleft() if self.answers else 202

    def invoices(self) -> list[Invoice]:
        return [document for _, _, body in self.received for document in read_package(body)]


@pytest.fixture
def platform():
    inbound = PlatformInbound()
    yield inbound
    inbound.server.shutdown()


@pytest.fixture
def billing_erp(erp, platform):
    erp.configure(
        **{
            **IDOC_DEFAULTS,
            "invoice_push_url": platform.url,
            "invoice_push_username": USER,
            "invoice_push_password": PASSWORD,
            "invoice_delay_ms": 50,
            "invoice_retry_delay_ms": 100,
        }
    )
    yield erp
    erp.configure(**IDOC_DEFAULTS)


def ship(erp, picked: dict[int, str]):
    """An order in the ERP and its goods issue posted; (order, SHPCON status)."""
    order = create_sales_order(erp)
    with idoc_client(erp) as client:
        docnums = client.send_package(
            package(shipment_confirmation(order.delivery_number, picked)), a_message_id()
        )
        (status,) = wait_for_final(client, docnums)
    assert status.is_posted, status.text
    return order, status


def invoice_of(erp, delivery_number: str) -> dict:
    (invoice,) = [
        i for i in erp.get("/_sandbox/invoices").json() if i["delivery_number"] == delivery_number
    ]
    return invoice


def test_given_a_goods_issue_then_the_platform_gets_an_invoic02_it_can_read(billing_erp, platform):
    # given a delay before the push
    billing_erp.configure(invoice_delay_ms=800)

    # when item 10 ships whole (2) and item 20 in part (1 of 3)
    order, shipped = ship(billing_erp, {10: "2", 20: "1"})
    wait_until(lambda: platform.received, timeout=10, what="the INVOIC02 push")

    # then one push with basic auth, after the delay, that connectors.idoc reads
    (received_at, headers, _), *others = platform.received
    assert not others
    assert headers["Authorization"] == platform.credentials
    assert headers["Content-Type"].startswith("application/xml")
    assert received_at - shipped.status_at.timestamp() >= 0.75
    (invoice,) = platform.invoices()
    assert invoice.control.message_type == "INVOIC" and invoice.control.direction == "1"
    assert invoice.control.receiver_partner == "SYNCPLAT"
    assert invoice.customer_order_number == order.external_reference
    assert invoice.customer_order_number.startswith("SP-")
    assert invoice.sales_order_number == order.document_number
    assert invoice.delivery_number == order.delivery_number
    assert (
        invoice.invoice_number == invoice_of(billing_erp, order.delivery_number)["billing_number"]
    )
    assert [(i.item_number, i.material, i.quantity, i.net_value) for i in invoice.items] == [
        ("000010", "TSHIRT-BLK-M", Decimal("2"), Decimal("38.98")),  # 2 x 19.99 - 1.00
        ("000020", "MUG-WHT", Decimal("1"), Decimal("8.50")),
    ]
    assert [item.taxes[0].amount for item in invoice.items] == [Decimal("3.20"), Decimal("0.68")]
    assert invoice.total("010") == Decimal("47.48")
    assert invoice.total("005") == Decimal("3.88")
    assert invoice.total_due == Decimal("59.31")  # + 7.95 shipping
    assert all(i.reference("002") == order.document_number for i in invoice.items)
    with idoc_client(billing_erp) as client:
        (outbound,) = client.statuses([invoice.control.docnum])
    assert (outbound.status, outbound.idoc_type) == ("03", "INVOIC02")


def test_given_an_api_key_then_it_is_sent_in_its_header(billing_erp, platform):
    platform.api_key = ("X-Erp-Key", "key-for-the-sandbox")
    billing_erp.configure(
        invoice_push_username="",
        invoice_push_api_key_header="X-Erp-Key",
        invoice_push_api_key="key-for-the-sandbox",
    )

    ship(billing_erp, {10: "1"})
    wait_until(lambda: platform.received, timeout=10, what="the INVOIC02 push")

    (_, headers, _), *_ = platform.received
    assert headers["X-Erp-Key"] == "key-for-the-sandbox"
    assert "Authorization" not in headers
    assert billing_erp.get("/_sandbox/config").json()["invoice_push_api_key"] == "***"


def test_given_the_platform_down_twice_then_the_third_push_delivers_and_failures_are_logged(
    billing_erp, platform
):
    platform.answers.extend([503, 503])

    order, _ = ship(billing_erp, {10: "1"})
    wait_until(
        lambda: invoice_of(billing_erp, order.delivery_number)["push_state"] == "sent",
        timeout=10,
        what="the push to succeed",
    )

    assert len(platform.received) == 3
    invoice = invoice_of(billing_erp, order.delivery_number)
    assert invoice["push_attempts"] == 3
    log = billing_erp.log_path.read_text()
    number = invoice["billing_number"]
    assert f"(billing document {number}): push attempt 1 of 5 failed" in log
    assert f"(billing document {number}): push attempt 2 of 5 failed" in log
    assert "answered HTTP 503" in log
    assert PASSWORD not in log


def test_given_the_platform_never_up_then_the_push_gives_up_with_status_02(billing_erp):
    nowhere = f"http://127.0.0.1:{free_port()}/api/v1/erp/demo-erp/idocs"
    billing_erp.configure(invoice_push_url=nowhere, invoice_push_attempts=2)

    order, _ = ship(billing_erp, {10: "1"})
    wait_until(
        lambda: invoice_of(billing_erp, order.delivery_number)["push_state"] == "failed",
        timeout=10,
        what="the push to give up",
    )

    invoice = invoice_of(billing_erp, order.delivery_number)
    assert invoice["push_attempts"] == 2 and "ConnectionError" in invoice["last_error"]
    with idoc_client(billing_erp) as client:
        (outbound,) = client.statuses([invoice["docnum"]])
    assert outbound.status == "02" and outbound.is_error
    assert outbound.text.startswith(f"POST {nowhere} failed")
    assert outbound.status_at <= datetime.now(UTC)
    assert "push attempt 2 of 2 failed" in billing_erp.log_path.read_text()


def test_given_invoice_options_then_the_server_starts_with_them(monkeypatch):
    monkeypatch.setenv("SANDBOX_ERP_INVOICE_PASSWORD", PASSWORD)
    monkeypatch.delenv("SANDBOX_ERP_INVOICE_API_KEY", raising=False)
    url = "http://127.0.0.1:8000/api/v1/erp/demo-erp/idocs"

    arguments = parse_arguments(
        ["--store", "erp.sqlite", "--invoice-url", url, "--invoice-user", USER]
    )

    assert invoice_settings(arguments) == {
        "invoice_push_url": url,
        "invoice_push_username": USER,
        "invoice_push_password": PASSWORD,
    }
    with pytest.raises(ValueError, match="invoice_push_url"):
        invoice_settings(parse_arguments(["--store", "erp.sqlite", "--invoice-url", "ftp://x"]))
