"""A posted order keeps the value the ERP confirmed: real SOAP to the sandbox ERP, real PostgreSQL.

The posting runs in this process (``run_transaction``); the sandbox ERP is a
real server on loopback. Every path that marks an order posted is covered:
created, found by reference after an ambiguous failure, and adopted after a
duplicate-reference refusal.
"""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from connectors.erp.client import ErpClient
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.mappings.choices import MappingKind
from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.orders.models import Order
from syncplatform.orders.services import IntakeRequest, accept_order, build_sales_order
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ChannelConfig, ErpEndpoint, Partner
from tests.support.orders import canonical_order
from tests.support.processes import PYTHON, REPO, ServerProcess, child_env, free_port

DEMO = REPO / "fixtures" / "demo"
CALM = {"latency_ms": 0, "fault_rate": 0.0, "outage": False, "timeout_after_commit_ms": 0}
# The demo order: 2 x 19.99 (MAT-100200), 7.95 shipping, 3.20 tax, grand total 51.13.
DEMO_NET, DEMO_TAX = Decimal("47.93"), Decimal("3.20")


class Sandbox:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.wsdl_url = f"{base_url}/sap/SalesOrder?wsdl"

    def configure(self, **changes) -> dict:
        response = requests.post(f"{self.base_url}/_sandbox/config", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    port, folder = free_port(), tmp_path_factory.mktemp("sandbox-erp")
    server = ServerProcess(
        "sandbox-erp",
        [PYTHON, "-m", "connectors.erp.sandbox", "--bind", f"127.0.0.1:{port}",
         "--store", str(folder / "erp.sqlite3")],
        env=child_env(),
        log_dir=folder,
    )  # fmt: skip
    erp = Sandbox(f"http://127.0.0.1:{port}")
    server.wait_http(f"{erp.base_url}/_sandbox/health")
    yield erp
    server.stop()


@pytest.fixture
def sandbox_erp(sandbox):
    sandbox.configure(**CALM, price_differences={"MAT-100200": "0"})
    yield sandbox
    sandbox.configure(**CALM, price_differences={"MAT-100200": "0"})


@pytest.fixture
def demo_web(db, sandbox_erp) -> Partner:
    """demo-web posting to the sandbox with the demo mappings; one-second ERP timeout."""
    channel = Partner.objects.create(code="demo-web", name="Web", kind=PartnerKind.CHANNEL)
    erp = Partner.objects.create(code="demo-erp", name="ERP", kind=PartnerKind.ERP)
    Partner.objects.create(code="demo-3pl", name="3PL", kind=PartnerKind.WAREHOUSE)
    ErpEndpoint.objects.create(partner=erp, wsdl_url=sandbox_erp.wsdl_url, timeout_seconds=1)
    ChannelConfig.objects.create(partner=channel, erp=erp, default_location="WEB-DC")
    for kind in MappingKind.values:
        import_mappings(kind, (DEMO / f"{kind}.csv").read_text())
    return channel


def accepted_order(channel: Partner) -> Order:
    number = f"VAL-{uuid.uuid4().hex[:8]}"
    canonical = canonical_order(number)
    request = IntakeRequest(
        channel=channel,
        idempotency_scope="erp-value-tests",
        idempotency_key=number,
        body=json.dumps(canonical).encode(),
        correlation_id=uuid.uuid4().hex,
    )
    return Order.objects.get(pk=accept_order(request, canonical).order.pk)


def post(order: Order) -> SyncTransaction:
    tx = run_transaction(order.erp_transaction.pk)
    order.refresh_from_db()
    return tx


def test_a_created_order_stores_net_tax_and_currency_that_add_up_to_its_total(demo_web):
    order = accepted_order(demo_web)
    assert (order.erp_net_value, order.erp_tax_value, order.erp_currency) == (None, None, "")

    tx = post(order)

    assert tx.state == TransactionState.SUCCEEDED
    assert (order.erp_net_value, order.erp_tax_value, order.erp_currency) == (
        DEMO_NET,
        DEMO_TAX,
        "USD",
    )
    assert order.erp_net_value + order.erp_tax_value == order.grand_total
    assert "value 47.93 + tax 3.2 USD created in the ERP" in tx.events.last().message


def test_a_price_difference_in_the_erp_is_stored_as_the_erp_says(demo_web, sandbox_erp):
    # given the ERP prices the demo material half a cent above the channel
    sandbox_erp.configure(price_differences={"MAT-100200": "0.005"})
    order = accepted_order(demo_web)

    post(order)

    # then 2 x 0.005 more, to the cent the ERP confirmed; tax as sent
    assert order.erp_net_value == Decimal("47.94")
    assert order.erp_tax_value == DEMO_TAX
    assert order.erp_net_value + order.erp_tax_value - order.grand_total == Decimal("0.01")


def test_a_sub_cent_difference_is_kept_not_rounded_away(demo_web, sandbox_erp):
    sandbox_erp.configure(price_differences={"MAT-100200": "0.0004"})
    order = accepted_order(demo_web)

    post(order)

    assert order.erp_net_value == Decimal("47.9308")


def test_after_a_timeout_the_order_found_by_reference_keeps_its_value(demo_web, sandbox_erp):
    # given the ERP stores the order but answers after the client gave up (1 s)
    sandbox_erp.configure(timeout_after_commit_ms=2500)
    order = accepted_order(demo_web)
    first = post(order)
    assert first.state == TransactionState.RETRYING
    assert order.erp_document_number == ""
    sandbox_erp.configure(**CALM)
    SyncTransaction.objects.filter(pk=first.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    # when the second attempt asks the ERP by reference
    second = post(order)

    # then the order is posted once, with the value the ERP holds
    assert second.state == TransactionState.SUCCEEDED
    assert "found in the ERP after an earlier attempt" in second.events.last().message
    assert (order.erp_net_value, order.erp_tax_value, order.erp_currency) == (
        DEMO_NET,
        DEMO_TAX,
        "USD",
    )


def test_a_duplicate_refusal_looks_the_document_up_for_its_value_and_delivery(
    demo_web, sandbox_erp
):
    # given an earlier attempt created the document without the platform hearing of it
    order = accepted_order(demo_web)
    with ErpClient(sandbox_erp.wsdl_url, timeout=5) as client:
        earlier = client.create_sales_order(build_sales_order(order))

    # when the first attempt we know of posts it
    tx = post(order)

    # then the refusal adopts that document, its delivery and its value
    assert tx.state == TransactionState.SUCCEEDED
    assert "the ERP already held this reference" in tx.events.last().message
    assert order.erp_document_number == earlier.document_number
    assert order.erp_delivery_number == earlier.delivery_number != ""
    assert (order.erp_net_value, order.erp_tax_value) == (DEMO_NET, DEMO_TAX)


def test_the_order_page_shows_the_erp_value(demo_web, client, django_user_model):
    order = accepted_order(demo_web)
    post(order)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))

    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "Erp net value" in page and "47.930000" in page
    assert "Erp tax value" in page and "3.200000" in page
