"""ErpClient against the real sandbox ERP over HTTP (see conftest.py)."""

import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from connectors.erp.client import ErpClient
from connectors.erp.faults import DuplicateReferenceError
from connectors.erp.models import Address, SalesOrder, SalesOrderItem
from connectors.erp.sales_order_service import WSDL_PATH
from connectors.errors import ConfigError, PermanentError, TransientError

SHIP_TO = Address(
    name="Pat Doe",
    street="1 Main St",
    street2="",
    city="Columbus",
    region="OH",
    postal_code="43004",
    country="US",
    phone="+1 614 555 0100",
    email="pat@example.com",
)


def a_reference() -> str:
    return f"T-{uuid.uuid4().hex[:24]}"


def an_item(
    item_number: int, material: str = "TSHIRT-BLK-M", quantity: str = "2"
) -> SalesOrderItem:
    return SalesOrderItem(
        item_number=item_number,
        material=material,
        quantity=Decimal(quantity),
        unit="EA",
        plant="1000",
        storage_location="0001",
        net_price=Decimal("19.99"),
        tax_code="A1",
        tax_amount=Decimal("3.20"),
        discount_amount=Decimal("1.00"),
    )


def an_order(reference: str, *items: SalesOrderItem) -> SalesOrder:
    return SalesOrder(
        external_reference=reference,
        sold_to="C778",
        ship_to=SHIP_TO,
        currency="USD",
        order_date=date(2026, 11, 23),
        shipping_condition="01",
        shipping_amount=Decimal("7.95"),
        items=items or (an_item(10), an_item(20, "MUG-WHT", "1.5")),
        sales_organisation="1000",
        distribution_channel="10",
        carrier_code="UPS",
    )


@pytest.fixture
def client(erp) -> ErpClient:
    with ErpClient(erp.wsdl_url, erp.username, erp.password, timeout=5) as erp_client:
        yield erp_client


def test_given_a_new_reference_when_created_then_the_erp_confirms_a_document(client, erp):
    reference = a_reference()

    confirmation = client.create_sales_order(an_order(reference))

    assert confirmation.document_number.isdigit() and len(confirmation.document_number) == 10
    assert int(confirmation.document_number) >= 10000
    assert confirmation.external_reference == reference
    assert confirmation.item_count == 2
    # 2 x 19.99 - 1.00 + 1.5 x 19.99 - 1.00
    assert confirmation.net_amount == Decimal("67.965")
    assert confirmation.currency == "USD"
    assert confirmation.created_at.utcoffset() is not None
    assert confirmation.delivery_number.isdigit() and len(confirmation.delivery_number) == 10
    stored = erp.documents(reference)
    assert [d["document_number"] for d in stored] == [confirmation.document_number]
    assert [d["delivery_number"] for d in stored] == [confirmation.delivery_number]


def test_given_a_used_reference_when_created_again_then_duplicate_names_the_first(client, erp):
    reference = a_reference()
    first = client.create_sales_order(an_order(reference))

    with pytest.raises(DuplicateReferenceError) as raised:
        client.create_sales_order(an_order(reference))

    assert isinstance(raised.value, PermanentError)
    assert raised.value.existing_document_number == first.document_number
    assert first.document_number in str(raised.value)
    assert len(erp.documents(reference)) == 1


def test_given_a_created_order_when_found_by_reference_then_it_matches(client):
    reference = a_reference()
    created = client.create_sales_order(an_order(reference))

    assert client.find_sales_order(reference) == created


def test_given_an_unknown_reference_when_found_then_none(client):
    assert client.find_sales_order(a_reference()) is None


def test_given_20_concurrent_creates_with_one_reference_then_exactly_one_document(erp):
    reference = a_reference()
    client = ErpClient(erp.wsdl_url, erp.username, erp.password, timeout=10)
    client.find_sales_order(reference)  # load the WSDL before the race
    start = threading.Barrier(20)
    outcomes: list = []

    def create():
        start.wait()
        try:
            outcomes.append(client.create_sales_order(an_order(reference)))
        except Exception as error:  # collected and asserted below
            outcomes.append(error)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    confirmations = [o for o in outcomes if not isinstance(o, Exception)]
    duplicates = [o for o in outcomes if isinstance(o, DuplicateReferenceError)]
    assert len(confirmations) == 1 and len(duplicates) == 19, outcomes
    assert {d.existing_document_number for d in duplicates} == {confirmations[0].document_number}
    assert len(erp.documents(reference)) == 1


def test_given_an_outage_when_creating_then_transient_and_after_it_success(client, erp):
    reference = a_reference()
    client.find_sales_order(reference)  # WSDL loaded while the ERP is up
    erp.set_faults(outage=True)

    with pytest.raises(TransientError) as raised:
        client.create_sales_order(an_order(reference))

    assert raised.value.code == "erp_unavailable"
    assert raised.value.may_have_reached_partner is False
    assert erp.documents(reference) == []
    erp.set_faults(outage=False)
    assert client.create_sales_order(an_order(reference)).external_reference == reference


def test_given_every_create_faulted_when_creating_then_transient_and_nothing_stored(client, erp):
    reference = a_reference()
    erp.set_faults(fault_rate=1.0)

    with pytest.raises(TransientError) as raised:
        client.create_sales_order(an_order(reference))

    assert raised.value.code == "erp_injected"
    assert erp.documents(reference) == []


def test_given_a_blocked_material_when_creating_then_permanent_with_the_fault_text(client, erp):
    reference = a_reference()

    with pytest.raises(PermanentError) as raised:
        client.create_sales_order(an_order(reference, an_item(10, "BLOCKED-TSHIRT")))

    assert not isinstance(raised.value, DuplicateReferenceError)
    assert raised.value.code == "erp_validation"
    assert "BLOCKED-TSHIRT is blocked for sales" in str(raised.value)
    assert erp.documents(reference) == []


def test_given_a_zero_quantity_when_creating_then_permanent_naming_the_item(client):
    with pytest.raises(PermanentError, match="item 20: quantity must be greater than zero"):
        client.create_sales_order(an_order(a_reference(), an_item(10), an_item(20, quantity="0")))


def test_given_a_reference_over_35_characters_when_creating_then_permanent_before_sending(erp):
    client = ErpClient("http://127.0.0.1:9/never-contacted?wsdl")

    with pytest.raises(PermanentError, match="1 to 35 characters"):
        client.create_sales_order(an_order("R" * 36))


def test_given_a_wrong_password_when_loading_the_wsdl_then_config_error_without_secret(erp):
    # A WSDL URL no other test loaded, so this client has to fetch it itself.
    client = ErpClient(f"{erp.wsdl_url}&sap-client=100", erp.username, "wrong-password-xyz")

    with pytest.raises(ConfigError) as raised:
        client.find_sales_order(a_reference())

    assert "401" in str(raised.value)
    assert "wrong-password-xyz" not in str(raised.value)


def test_given_a_wrong_password_when_calling_then_config_error(erp):
    client = ErpClient(
        str(WSDL_PATH), erp.username, "wrong-password-xyz", endpoint_url=erp.service_url
    )

    with pytest.raises(ConfigError) as raised:
        client.create_sales_order(an_order(a_reference()))

    assert raised.value.code == "erp_auth"
    assert "wrong-password-xyz" not in str(raised.value)


def test_given_a_commit_slower_than_the_timeout_then_maybe_reached_and_find_sees_it(client, erp):
    reference = a_reference()
    impatient = ErpClient(erp.wsdl_url, erp.username, erp.password, timeout=0.5)
    erp.set_faults(timeout_after_commit_ms=1500)

    with pytest.raises(TransientError) as raised:
        impatient.create_sales_order(an_order(reference))

    assert raised.value.may_have_reached_partner is True
    found = client.find_sales_order(reference)
    assert found is not None and found.external_reference == reference


def test_given_latency_when_calling_then_the_answer_is_delayed(client, erp):
    client.find_sales_order(a_reference())  # WSDL loaded without latency
    erp.set_faults(latency_ms=400)

    started = time.monotonic()
    client.find_sales_order(a_reference())

    assert time.monotonic() - started >= 0.4


def test_given_a_local_wsdl_and_an_endpoint_when_creating_then_it_posts_there(erp):
    client = ErpClient(str(WSDL_PATH), erp.username, erp.password, endpoint_url=erp.service_url)
    reference = a_reference()

    created = client.create_sales_order(an_order(reference))

    assert client.find_sales_order(reference) == created


def test_given_nothing_listening_when_loading_the_wsdl_then_transient(erp):
    client = ErpClient(f"http://127.0.0.1:{_closed_port()}/sap/SalesOrder?wsdl", timeout=2)

    with pytest.raises(TransientError) as raised:
        client.find_sales_order(a_reference())

    assert raised.value.code == "erp_unreachable"
    assert raised.value.may_have_reached_partner is False


def test_given_nothing_listening_at_the_endpoint_when_creating_then_not_reached(erp):
    client = ErpClient(
        str(WSDL_PATH), endpoint_url=f"http://127.0.0.1:{_closed_port()}/sap/SalesOrder"
    )

    with pytest.raises(TransientError) as raised:
        client.create_sales_order(an_order(a_reference()))

    assert raised.value.may_have_reached_partner is False


def test_given_a_url_that_is_not_a_wsdl_when_calling_then_config_error(erp):
    client = ErpClient(f"{erp.base_url}/_sandbox/health?wsdl")

    with pytest.raises(ConfigError, match="not a usable WSDL"):
        client.find_sales_order(a_reference())


def test_given_a_missing_wsdl_when_calling_then_config_error(erp):
    client = ErpClient(f"{erp.base_url}/sap/NoSuchService?wsdl", erp.username, erp.password)

    with pytest.raises(ConfigError, match="HTTP 404"):
        client.find_sales_order(a_reference())


def test_given_credentials_in_the_url_then_config_error_without_them(erp):
    with pytest.raises(ConfigError) as raised:
        ErpClient(f"http://user:pw-in-url@127.0.0.1:{_closed_port()}/sap/SalesOrder?wsdl")

    assert "pw-in-url" not in str(raised.value)


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _ForwardingProxy(ThreadingHTTPServer):
    """An HTTP proxy that knows one host name, ``erp.proxied.invalid``: the sandbox ERP."""

    def __init__(self, target_base_url: str):
        self.target_base_url = target_base_url
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    def _forward(self):
        self.server.seen.append(f"{self.command} {self.path}")
        url = urlsplit(self.path)  # a proxy gets the absolute URL
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        answer = requests.request(
            self.command,
            f"{self.server.target_base_url}{url.path}?{url.query}",
            data=body,
            headers=headers,
            timeout=10,
        )
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "text/xml"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


def test_given_a_proxy_in_the_environment_then_every_call_goes_through_it(erp, monkeypatch):
    proxy = _ForwardingProxy(erp.base_url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    try:
        client = ErpClient(
            "http://erp.proxied.invalid/sap/SalesOrder?wsdl", erp.username, erp.password
        )
        monkeypatch.delenv("HTTP_PROXY")  # read when the client was built, not per call

        confirmation = client.create_sales_order(an_order(a_reference()))
    finally:
        proxy.shutdown()

    assert confirmation.document_number
    assert "GET http://erp.proxied.invalid/sap/SalesOrder?wsdl" in proxy.seen
    assert proxy.seen[-1] == "POST http://erp.proxied.invalid/sap/SalesOrder"
